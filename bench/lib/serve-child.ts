// How every helper server the benchmark spawns (mock upstream, node-floor forwarder) runs as a
// child process: listen on loopback, announce the port as one JSON line on stdout (the parent
// reads it), and close every connection on SIGTERM so a run ends promptly.
import type { Server } from 'node:http';

export function serveChild(server: Server, port: number): void {
  server.listen(port, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
  });
  process.on('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
