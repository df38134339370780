import { connect, type Socket } from 'node:net';

/** Where postgres.js asks a socket to go (its parsed options). */
export interface SocketTarget {
  host: string[];
  port: number[];
  path?: string | false;
}

/**
 * The sockets of every client to one server. A server that stops answering leaves its
 * connections open and silent (a stopped process, a network dropping packets): no error comes
 * and TCP gives up only after minutes. Destroying them fails what waits on them at once, and
 * each client connects afresh on its next query.
 */
export interface ServerSockets {
  /** postgres.js's `socket` option (a documented hook: the function returns a duplex stream). */
  open(target: SocketTarget): Socket;
  destroyAll(error: Error): void;
}

export function createServerSockets(): ServerSockets {
  const open = new Set<Socket>();
  let turn = 0;
  return {
    open(target) {
      const i = turn++ % target.host.length;
      const socket = target.path ? connect(target.path) : connect(target.port[i] ?? target.port[0]!, target.host[i]!);
      open.add(socket);
      socket.once('close', () => open.delete(socket));
      return socket;
    },
    destroyAll(error) {
      for (const socket of open) socket.destroy(error);
      open.clear();
    },
  };
}
