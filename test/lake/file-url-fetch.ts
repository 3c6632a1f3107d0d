/**
 * icebird resolves every location (version hint, metadata, manifest list, manifests, Parquet
 * files) with the global `fetch`, and Node's fetch has no `file:` scheme. This teaches it that
 * scheme — GET with the HEAD and byte-range requests hyparquet makes — so icebird reads the
 * lake exactly as written, percent-encoded `file://` locations included. Nothing about the lake
 * is simulated: other schemes go to the real fetch, and the shim is removed after the tests.
 */
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

async function fileResponse(url: string, init: RequestInit | undefined): Promise<Response> {
  let handle;
  try {
    handle = await fs.open(fileURLToPath(url), 'r');
  } catch {
    return new Response(null, { status: 404, statusText: 'Not Found' });
  }
  try {
    const size = (await handle.stat()).size;
    if (init?.method === 'HEAD')
      return new Response(null, { status: 200, headers: { 'Content-Length': String(size) } });
    const range = /^bytes=(\d+)-(\d*)$/.exec(new Headers(init?.headers).get('Range') ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] !== '' ? Math.min(Number(range[2]), size - 1) : size - 1;
    const body = Buffer.alloc(Math.max(0, end - start + 1));
    await handle.read(body, 0, body.length, start);
    return new Response(body, {
      status: range ? 206 : 200,
      headers: { 'Content-Length': String(body.length) },
    });
  } finally {
    await handle.close();
  }
}

/** Installs the `file:` scheme into the global fetch; returns the function that removes it. */
export function installFileUrlFetch(): () => void {
  const original = globalThis.fetch;
  globalThis.fetch = (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    return url.startsWith('file:') ? fileResponse(url, init) : original(input, init);
  };
  return () => {
    globalThis.fetch = original;
  };
}
