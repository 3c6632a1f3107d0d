/**
 * Rules that span fields of `sluice.yml`, checked once the shape is valid. Every message says
 * what to change. A merge without `primaryKey` is not an error here: the key then comes from the
 * source table at run time, and the run refuses a table that declares none.
 */
import type { z } from 'zod';
import { didYouMean } from './did-you-mean.js';
import { mayNameSameTable } from './table-names.js';

/** What the rules read of a validated project file. */
export interface RulesInput {
  /** Connections by name. */
  connections: Record<string, unknown>;
  /** The syncs in file order. */
  syncs: {
    /** Explicit name, if any. */
    name?: string | undefined;
    /** Source connection name. */
    from: string;
    /** Destination connection name. */
    to: string;
    /** `all` or the listed tables. */
    tables: 'all' | string[];
    /** The sync's mode. */
    mode: string;
    /** The sync's cursor column. */
    cursor?: string | undefined;
    /** Per-table overrides. */
    streams: Record<string, { mode?: string | undefined; cursor?: string | undefined }>;
  }[];
}

/** The name of a sync that does not set one. */
export function defaultSyncName(from: string, to: string): string {
  return `${from}-to-${to}`;
}

export function checkProjectRules(file: RulesInput, ctx: z.core.$RefinementCtx<RulesInput>): void {
  const problem = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const connectionNames = Object.keys(file.connections);
  const seenNames = new Map<string, number>();

  file.syncs.forEach((sync, i) => {
    for (const end of ['from', 'to'] as const) {
      if (connectionNames.includes(sync[end])) continue;
      problem(
        ['syncs', i, end],
        `no connection named "${sync[end]}"${didYouMean(sync[end], connectionNames)}; define it under connections:` +
          (connectionNames.length > 0 ? ` or use one of: ${connectionNames.join(', ')}` : ''),
      );
    }

    const name = sync.name ?? defaultSyncName(sync.from, sync.to);
    const earlier = seenNames.get(name);
    if (earlier === undefined) seenNames.set(name, i);
    else
      problem(
        ['syncs', i, 'name'],
        `syncs[${earlier}] is also named "${name}"; give each sync a distinct name:`,
      );

    const tables = sync.tables;
    for (const key of Object.keys(sync.streams)) {
      if (tables === 'all' || tables.some((table) => mayNameSameTable(key, table))) continue;
      problem(
        ['syncs', i, 'streams', key],
        `"${key}" is not one of this sync's tables${didYouMean(key, tables)}; add it to tables: or remove the override`,
      );
    }

    // File sources read incrementally by file (each new or changed file once): no cursor needed.
    const fromUrl = (file.connections[sync.from] as { url?: unknown } | undefined)?.url;
    const byFile = typeof fromUrl === 'string' && /^(file:|s3:\/\/)/i.test(fromUrl);
    if (sync.cursor !== undefined || byFile) return;
    for (const [key, override] of Object.entries(sync.streams)) {
      if ((override.mode ?? sync.mode) === 'incremental' && override.cursor === undefined) {
        problem(
          ['syncs', i, 'streams', key, 'cursor'],
          'incremental mode needs a cursor column: set cursor: here or on the sync',
        );
      }
    }
    if (sync.mode !== 'incremental') return;
    const overridden = Object.keys(sync.streams);
    const uncovered =
      tables === 'all'
        ? ['every table']
        : tables.filter((t) => !overridden.some((key) => mayNameSameTable(key, t)));
    if (uncovered.length > 0) {
      problem(
        ['syncs', i, 'cursor'],
        `incremental mode needs a cursor column (missing for ${uncovered.join(', ')}): set cursor: on the sync or per table under streams:`,
      );
    }
  });
}
