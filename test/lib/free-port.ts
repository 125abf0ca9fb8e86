// A TCP port nothing listens on right now, chosen by the kernel: tests never assume a fixed port
// is free. (Another process may take it before the caller binds; the window is short.)
import { createServer } from 'node:net';

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
