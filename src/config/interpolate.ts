/**
 * `${VAR}` and `${VAR:-default}` in the string values of a parsed project file. Applied after YAML
 * parsing, so a secret full of `:`, `#` or quotes cannot break the YAML around it. `$${` is a
 * literal `${`. As in the shell, `:-` uses the default when the variable is unset or empty.
 */
import { SluiceError } from '../core/errors.js';
import { formatPath } from './config-path.js';

/** Environment variables by name (`process.env` fits). */
export type Env = Readonly<Record<string, string | undefined>>;

const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{/g;

interface Missing {
  variable: string;
  path: string;
}

/** A copy of `value` with every reference in its strings replaced from `env`. */
export function interpolate<T>(value: T, env: Env): T {
  const missing: Missing[] = [];
  const result = walk(value, env, [], missing) as T;
  if (missing.length > 0) {
    const list = missing.map((m) => `${m.variable} (used in ${m.path})`).join(', ');
    const first = missing[0]!.variable;
    throw new SluiceError('CONFIG', `environment variable${missing.length > 1 ? 's' : ''} not set: ${list}`, {
      hint: `export ${first}=… before running sluice, or write \${${first}:-default} in sluice.yml for a default`,
    });
  }
  return result;
}

function walk(value: unknown, env: Env, path: PropertyKey[], missing: Missing[]): unknown {
  if (typeof value === 'string') return substitute(value, env, path, missing);
  if (Array.isArray(value)) return value.map((item, i) => walk(item, env, [...path, i], missing));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, walk(v, env, [...path, k], missing)]),
    );
  }
  return value;
}

function substitute(text: string, env: Env, path: PropertyKey[], missing: Missing[]): string {
  return text.replace(REFERENCE, (match, variable: string | undefined, fallback: string | undefined) => {
    if (match === '$${') return '${';
    if (variable === undefined) {
      throw new SluiceError('CONFIG', `${formatPath(path)}: "\${" does not start a valid \${VAR} reference`, {
        hint: 'write ${NAME} or ${NAME:-default} (letters, digits, _), or $${ for a literal ${',
      });
    }
    const set = env[variable];
    if (fallback !== undefined && (set === undefined || set === '')) return fallback;
    if (set !== undefined) return set;
    missing.push({ variable, path: formatPath(path) });
    return match;
  });
}
