import { createConnection, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /**
   * Stops forwarding in both directions and leaves new connections unanswered (accepted, then
   * silent), as a network that drops every packet does. Nothing is refused or closed.
   */
  blackhole(): void;
  /** Forwards again: what was held back goes through, as after a healed partition. */
  restore(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream?: Socket;
}

/** A TCP proxy on 127.0.0.1 to `target`, for tests of a server that stops answering. */
export async function startTcpProxy(target: { host?: string; port: number }): Promise<TcpProxy> {
  let silent = false;
  const pairs = new Set<Pair>();

  const drop = (pair: Pair) => {
    pair.client.destroy();
    pair.upstream?.destroy();
    pairs.delete(pair);
  };
  // Held data stays in the sockets' buffers while a pair does not flow.
  const flow = (pair: Pair) => {
    if (!pair.upstream) {
      const upstream = createConnection({ host: target.host ?? '127.0.0.1', port: target.port });
      pair.upstream = upstream;
      upstream.on('error', () => drop(pair)).on('close', () => drop(pair));
    }
    pair.client.pipe(pair.upstream);
    pair.upstream.pipe(pair.client);
  };
  const hold = (pair: Pair) => {
    if (!pair.upstream) return;
    pair.client.unpipe(pair.upstream);
    pair.upstream.unpipe(pair.client);
    pair.client.pause();
    pair.upstream.pause();
  };

  const server = createServer({ pauseOnConnect: true }, (client) => {
    const pair: Pair = { client };
    pairs.add(pair);
    client.on('error', () => drop(pair)).on('close', () => drop(pair));
    if (!silent) flow(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('tcp proxy: no port');

  return {
    port: address.port,
    blackhole() {
      silent = true;
      for (const pair of pairs) hold(pair);
    },
    restore() {
      silent = false;
      for (const pair of pairs) flow(pair);
    },
    async close() {
      for (const pair of [...pairs]) drop(pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
