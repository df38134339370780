import { connect, type Socket } from 'node:net';

export interface SocketTarget {
  host: string[];
  port: number[];
  path?: string | false;
}

/** A silent server leaves connections open for minutes: destroying its sockets fails what waits at once. */
export interface ServerSockets {
  open(target: SocketTarget): Socket;
  /** Each socket gets an error of its own: postgres.js writes the failed query into the error it is given. */
  destroyAll(error: () => Error): void;
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
      for (const socket of open) socket.destroy(error());
      open.clear();
    },
  };
}
