/**
 * Service availability for tests. On a laptop a missing service skips the tests that need it
 * with a loud reason; under CI=true a missing service is a failure, never a silent skip.
 */
import net from 'node:net';

export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

/** True when something accepts TCP connections on host:port within the timeout. */
export function canConnect(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Resolves to true when the service is up. When it is down: throws under CI, otherwise warns
 * loudly and resolves to false so the caller can `describe.skipIf(!up)`.
 */
export async function serviceAvailable(name: string, port: number, host = '127.0.0.1'): Promise<boolean> {
  if (await canConnect(port, host)) return true;
  const message = `${name} is not reachable on ${host}:${port}`;
  if (IN_CI) throw new Error(`${message} (CI=true: a missing service fails the run)`);
  console.warn(`\n!!! SKIPPING tests that need ${name}: ${message}\n`);
  return false;
}
