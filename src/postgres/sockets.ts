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
  /** Bytes read from the server on all sockets so far (Node counts them; nothing is added per read). */
  received(): number;
}

export function createServerSockets(): ServerSockets {
  const open = new Set<Socket>();
  let receivedByClosed = 0;
  const forget = (socket: Socket) => {
    if (open.delete(socket)) receivedByClosed += socket.bytesRead;
  };
  let turn = 0;
  return {
    open(target) {
      const i = turn++ % target.host.length;
      const socket = target.path ? connect(target.path) : connect(target.port[i] ?? target.port[0]!, target.host[i]!);
      closeOnError(socket);
      open.add(socket);
      socket.once('close', () => forget(socket));
      return socket;
    },
    destroyAll(error) {
      for (const socket of open) {
        forget(socket);
        socket.destroy(error());
      }
    },
    received() {
      let total = receivedByClosed;
      for (const socket of open) total += socket.bytesRead;
      return total;
    },
  };
}

/**
 * Node emits a socket's 'error' at once but its 'close' only when the handle has closed, later in
 * the loop. postgres.js fails what a connection waits on at 'error' and takes the connection out
 * of use at 'close': a query it is given in between (the next user of a freed one-connection
 * client, say) goes to the dead socket, and 'close' after an error fails nothing, so that query
 * never settles. Here 'close' follows 'error' in a microtask, before the failed queries' callers
 * run, and the handle's own 'close' finds no listener. Listeners, not a wrapped emit(): a socket
 * with an emit() of its own made appends at one connection slower (bench/README.md, "Tried and not adopted").
 */
function closeOnError(socket: Socket) {
  socket.once('error', () => {
    socket.destroy();
    queueMicrotask(() => {
      socket.emit('close', true);
      socket.removeAllListeners('close');
    });
  });
}
