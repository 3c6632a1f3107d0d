import { connectorForUrl } from '../connectors/registry.js';
import type { StreamSchema } from '../core/stream.js';

/** Discovers a source's streams through a connector opened for just that. */
export async function discoverSource(url: string): Promise<StreamSchema[]> {
  const connector = connectorForUrl(url);
  try {
    return await connector.discover();
  } finally {
    await connector.close();
  }
}
