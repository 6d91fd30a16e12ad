// Loopback ports for a verify run: a free one for the service to listen on and
// closed ones for its dependencies. Both come from binding port 0 and closing;
// a port handed out once is never handed out again in the same run.
import net from 'node:net';

const handedOut = new Set<number>();

function bindAndClose(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A loopback port nothing listens on right now. */
export async function unusedPort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await bindAndClose();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('could not find an unused loopback port after 20 tries');
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function isListening(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
