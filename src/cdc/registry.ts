/**
 * Which source types offer change capture. Kept apart from the connector registry so that
 * connectors never import cdc/ (cdc/postgres reuses connectors/postgres; the other way round
 * would be a cycle). One line per source.
 */
import { SluiceError } from '../core/errors.js';
import type { ChangeCaptureDefinition } from './change-capture.js';
import { mysqlChangeCaptureDefinition } from './mysql/mysql-change-capture.js';
import { postgresChangeCapture } from './postgres/postgres-change-capture.js';

const DEFINITIONS: readonly ChangeCaptureDefinition[] = [postgresChangeCapture, mysqlChangeCaptureDefinition];

/** The capture definition for a source type (`SourceConnector.type`), or null when it has none. */
export function findChangeCapture(type: string): ChangeCaptureDefinition | null {
  return DEFINITIONS.find((d) => d.type === type) ?? null;
}

/** The capture definition for a source type, or a NOT_SUPPORTED error naming the ones that exist. */
export function changeCaptureFor(type: string): ChangeCaptureDefinition {
  const found = findChangeCapture(type);
  if (found) return found;
  const known = DEFINITIONS.map((d) => d.type).join(', ') || 'none yet';
  throw new SluiceError('NOT_SUPPORTED', `--mode cdc is not yet supported by ${type} sources`, {
    hint: `--mode cdc works with: ${known}; use --mode full or incremental for this source`,
  });
}
