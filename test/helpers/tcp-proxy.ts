/**
 * A TCP proxy for tests: forwards 127.0.0.1:<port> to a target (PostgreSQL) and can cut every
 * open connection, at once or at random intervals, the way a flaky network or a restarted load
 * balancer does. Cut sockets are destroyed with a reset, so the client sees ECONNRESET or a
 * terminated connection mid-read.
 */
import net from 'node:net';

/** A running proxy. */
export interface TcpProxy {
  /** The local port clients connect to. */
  port: number;
  /** Connections cut so far. */
  readonly cuts: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Destroys every open connection (both sides); returns how many were cut. */
  cutAll(): number;
  /**
   * Cuts all open connections again and again, each time after a random delay in
   * [minMs, maxMs], up to `times` cuts that hit at least one connection; stop() ends it early.
   */
  cutRandomly(options: { minMs: number; maxMs: number; times: number }): void;
  /**
   * Cuts each new connection once it has carried a random number of bytes from the target, in
   * [minBytes, maxBytes], until `times` connections were cut. Unlike a timer this is certain to
   * hit a large read however fast the machine is, and never hits a small query.
   */
  cutAfterBytes(options: { minBytes: number; maxBytes: number; times: number }): void;
  /** Stops cutting. */
  stopCutting(): void;
  /** Closes the listener and every connection. */
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  let cuts = 0;
  let accepted = 0;
  let timer: NodeJS.Timeout | undefined;
  let byteCuts: { minBytes: number; maxBytes: number; left: number } | undefined;

  const server = net.createServer((client) => {
    accepted++;
    const upstream = net.connect(target);
    const pair = { client, upstream };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
    if (byteCuts) {
      const plan = byteCuts;
      const limit = plan.minBytes + Math.floor(Math.random() * (plan.maxBytes - plan.minBytes));
      let carried = 0;
      upstream.on('data', (data: Buffer) => {
        carried += data.length;
        if (carried < limit || plan.left <= 0 || client.destroyed) return;
        plan.left--;
        cuts++;
        pairs.delete(pair);
        client.resetAndDestroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  const cutAll = () => {
    const open = [...pairs];
    for (const { client, upstream } of open) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    pairs.clear();
    return open.length;
  };

  const stopCutting = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    byteCuts = undefined;
  };

  return {
    port,
    get cuts() {
      return cuts;
    },
    get accepted() {
      return accepted;
    },
    cutAll: () => {
      const n = cutAll();
      cuts += n > 0 ? 1 : 0;
      return n;
    },
    cutRandomly({ minMs, maxMs, times }) {
      stopCutting();
      let done = 0;
      const schedule = () => {
        timer = setTimeout(
          () => {
            if (cutAll() > 0) {
              cuts++;
              done++;
            }
            if (done < times) schedule();
            else timer = undefined;
          },
          minMs + Math.random() * (maxMs - minMs),
        );
      };
      schedule();
    },
    cutAfterBytes({ minBytes, maxBytes, times }) {
      byteCuts = { minBytes, maxBytes, left: times };
    },
    stopCutting,
    async close() {
      stopCutting();
      cutAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
