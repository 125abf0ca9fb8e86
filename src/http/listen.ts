// Opening the port. With `reusePort` (SO_REUSEPORT, Node 24 on Linux) several proxies of the
// same user in one network namespace listen on the same port and the kernel spreads new
// connections over them: what lets a newer proxy start beside an older one and take over
// without a moment where nobody listens (docs/upgrade.md). Without it a second listener fails
// with EADDRINUSE, which is what a proxy started twice by mistake should see.
import type { AddressInfo, Server } from 'node:net';

export interface ListenAt {
  port: number;
  host: string;
  reusePort?: boolean;
}

export function listenOn(server: Server, at: ListenAt): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen({ port: at.port, host: at.host, ...(at.reusePort ? { reusePort: true } : {}) }, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}
