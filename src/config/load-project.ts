/**
 * Reads `sluice.yml`: YAML → `${VAR}` interpolation → schema and cross-field rules → `Project`.
 * Every failure is one SluiceError('CONFIG') that says where (file:line:column or the field path)
 * and what to do. Messages never echo file content, so a secret written into the file stays out
 * of the terminal.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { SluiceError, messageOf } from '../core/errors.js';
import { redact } from '../core/redact.js';
import { formatPath } from './config-path.js';
import { type Env, interpolate } from './interpolate.js';
import { ProjectFileSchema } from './project-schema.js';
import { type Project, resolveProject } from './resolve-project.js';

export const PROJECT_FILE_NAME = 'sluice.yml';

const SCHEMA_HINT = 'every field is described in schema/sluice.schema.json';

/** Loads the project file at `path` (a file, or a directory holding `sluice.yml`). */
export async function loadProject(path: string, env: Env = process.env): Promise<Project> {
  const file = await projectFilePath(path);
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new SluiceError('CONFIG', `cannot read ${file}: ${messageOf(error)}`, { cause: error });
    }
    throw new SluiceError('CONFIG', `no ${basename(file)} in ${dirname(file)}`, {
      hint: 'run `sluice init` or pass --config',
    });
  });
  return parseProject(text, file, env);
}

/** Validates project file text as if read from `file` (which anchors relative paths). */
export function parseProject(text: string, file: string, env: Env = process.env): Project {
  const raw = parseYaml(text, file);
  const result = ProjectFileSchema.safeParse(interpolate(raw, env), {
    // Applies where a field has no message of its own.
    error: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'required' : undefined),
  });
  if (!result.success) throw invalidProject(file, result.error.issues);
  return resolveProject(result.data, file);
}

async function projectFilePath(path: string): Promise<string> {
  const absolute = resolve(path);
  const isDirectory = await stat(absolute).then(
    (s) => s.isDirectory(),
    () => false,
  );
  return isDirectory ? join(absolute, PROJECT_FILE_NAME) : absolute;
}

function parseYaml(text: string, file: string): unknown {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((error) => {
      const at = error.linePos?.[0];
      // The bare message: the pretty form quotes the offending line, which may hold a secret.
      const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      return `${file}${at ? `:${at.line}:${at.col}` : ''}: ${redact(message)}`;
    });
    throw new SluiceError('CONFIG', `${file} is not valid YAML:\n  ${lines.join('\n  ')}`, {
      hint: 'fix the YAML at that line: indentation, a missing ":", or quote a value that contains ": " or " #" or ends with ":"',
    });
  }
  const raw: unknown = doc.toJS();
  if (raw === null || raw === undefined) {
    throw new SluiceError('CONFIG', `${file} is empty`, {
      hint: 'run `sluice init` for a commented starter file',
    });
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new SluiceError('CONFIG', `${file} must be a mapping of keys (version:, connections:, syncs:)`, {
      hint: `start from \`sluice init\`; ${SCHEMA_HINT}`,
    });
  }
  return raw;
}

function issueMessage(issue: z.core.$ZodIssue): string {
  // A bad record key carries its reason one level down.
  if (issue.code === 'invalid_key') return issue.issues[0]?.message ?? issue.message;
  return issue.message;
}

function invalidProject(file: string, issues: readonly z.core.$ZodIssue[]): SluiceError {
  const lines = issues.map((issue) => `${formatPath(issue.path)}: ${issueMessage(issue)}`);
  const count = lines.length === 1 ? 'a problem' : `${lines.length} problems`;
  return new SluiceError('CONFIG', `${file} has ${count}:\n  ${lines.join('\n  ')}`, {
    hint: `fix each field listed above; ${SCHEMA_HINT}`,
  });
}
