/**
 * Which streams load resumably (sync/resumable-load.ts) and what identifies their load. A full
 * `replace` or `append` qualifies when the source reads key ranges and the destination stages
 * loads (the lake); everything else keeps the single commit at the end of the read, which for
 * DuckDB and PostgreSQL destinations is one transaction.
 */
import { createHash } from 'node:crypto';
import type { Connector } from '../connectors/connector.js';
import type { KeyRangeSource } from '../connectors/key-range-read.js';
import { canReadKeyRanges } from '../connectors/key-range-read.js';
import { redact } from '../core/redact.js';
import type { StreamPlan } from '../core/stream.js';
import type { Destination, DestinationStream, StagedLoadWriter } from '../destinations/destination.js';

/** The source and destination sides of a resumable load. */
export interface StagedLoadParts {
  /** The source, reading key ranges. */
  source: KeyRangeSource;
  /** Opens the destination's staged load. */
  openStagedLoad(stream: DestinationStream, identity: string): Promise<StagedLoadWriter>;
}

/** The parts of a resumable load of `plan`, or null when the stream loads in one commit. */
export function stagedLoadParts(
  connector: Connector,
  destination: Destination,
  plan: Pick<StreamPlan, 'mode' | 'disposition'>,
): StagedLoadParts | null {
  if (plan.mode !== 'full' || (plan.disposition !== 'replace' && plan.disposition !== 'append')) return null;
  if (!canReadKeyRanges(connector) || !destination.openStagedLoad) return null;
  const open = destination.openStagedLoad.bind(destination);
  return { source: connector, openStagedLoad: open };
}

/**
 * What makes two runs the same load: the source (its URL without credentials or parameters such
 * as `parallelism`, which change how it is read, not what), the stream, its columns and key.
 */
export function loadIdentity(from: string, plan: Pick<StreamPlan, 'schema' | 'primaryKey'>): string {
  const source = redact(from).split('?')[0];
  const { namespace, name, columns } = plan.schema;
  return createHash('sha256')
    .update(JSON.stringify({ source, namespace, name, columns, primaryKey: plan.primaryKey }))
    .digest('hex');
}
