import { SluiceError } from '../core/errors.js';
import type { StreamSchema } from '../core/stream.js';

/** `namespace.name` of a stream, as users write it and the lake names it. */
export function qualifiedName(stream: Pick<StreamSchema, 'namespace' | 'name'>): string {
  return `${stream.namespace}.${stream.name}`;
}

/**
 * Picks the discovered streams a `--tables` list names (`name` or `namespace.name`, exact case
 * first, then case-insensitive when that is unambiguous). An unknown name is an error listing
 * what exists, so a typo never silently syncs nothing.
 */
export function selectStreams(available: StreamSchema[], tables: string[] | 'all'): StreamSchema[] {
  if (tables === 'all') return available;
  const selected: StreamSchema[] = [];
  for (const wanted of tables) {
    const match = findStream(available, wanted.trim());
    if (!selected.includes(match)) selected.push(match);
  }
  return selected;
}

function findStream(available: StreamSchema[], wanted: string): StreamSchema {
  const matches = (exact: boolean) =>
    available.filter((s) => {
      const candidates = [s.name, qualifiedName(s)];
      return exact
        ? candidates.includes(wanted)
        : candidates.some((c) => c.toLowerCase() === wanted.toLowerCase());
    });
  const exact = matches(true);
  if (exact.length === 1 && exact[0]) return exact[0];
  const loose = exact.length === 0 ? matches(false) : exact;
  if (loose.length === 1 && loose[0]) return loose[0];
  if (loose.length > 1) {
    throw new SluiceError('USAGE', `table name ${wanted} is ambiguous`, {
      hint: `qualify it: ${loose.map(qualifiedName).join(', ')}`,
    });
  }
  const names = available.map(qualifiedName);
  const shown = names.slice(0, 20).join(', ') + (names.length > 20 ? `, … (${names.length} in all)` : '');
  throw new SluiceError('SOURCE_NOT_FOUND', `table ${wanted} does not exist in the source`, {
    hint: names.length > 0 ? `available: ${shown}` : 'the source has no tables in the selected schema',
  });
}
