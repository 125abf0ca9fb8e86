// Debian's pebble (Let's Encrypt's test CA) on loopback for the ACME tests, with a tiny DNS
// responder (node:dgram) so pebble resolves the test names to 127.0.0.1 without /etc/hosts:
// pebble's HTTP-01 check then really fetches the token from the proxy's HTTP_PORT.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'node:https';
import { get } from 'node:https';
import { freePort } from '../lib/free-port.ts';

export const PEBBLE = '/usr/bin/pebble';
export const havePebble = () => existsSync(PEBBLE);

export { freePort };

/** Answers every A query with 127.0.0.1 and every other type with an empty NOERROR. */
export function startDns(): Promise<{ port: number; queries: string[]; close(): void }> {
  const socket: Socket = createSocket('udp4');
  const queries: string[] = [];
  socket.on('message', (msg, rinfo) => {
    if (msg.length < 17) return;
    let i = 12;
    const labels: string[] = [];
    while (i < msg.length && msg[i] !== 0) {
      labels.push(msg.subarray(i + 1, i + 1 + msg[i]!).toString());
      i += msg[i]! + 1;
    }
    const qEnd = i + 5;
    const qtype = msg.readUInt16BE(i + 1);
    queries.push(`${labels.join('.')}/${qtype}`);
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2);
    header.writeUInt16BE(0x8180, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(qtype === 1 ? 1 : 0, 6);
    const answer =
      qtype === 1 ? Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]) : Buffer.alloc(0);
    socket.send(Buffer.concat([header, msg.subarray(12, qEnd), answer]), rinfo.port, rinfo.address);
  });
  return new Promise((resolve) =>
    socket.bind(0, '127.0.0.1', () => resolve({ port: socket.address().port, queries, close: () => socket.close() })),
  );
}

export interface Pebble {
  directoryUrl: string;
  /** The CA file for pebble's own HTTPS (ACME_CA_FILE). */
  caFile: string;
  /** The root that signs issued certificates (to verify what the proxy serves). */
  issuerRoot(): Promise<string>;
  log(): string;
  close(): Promise<void>;
}

/** Starts pebble validating HTTP-01 on `httpPort`; certificates live `validitySeconds`. */
export async function startPebble(httpPort: number, validitySeconds: number): Promise<Pebble> {
  const dir = mkdtempSync(join(tmpdir(), 'aip-tls-pebble-'));
  const ssl = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'key.pem',
      '-out',
      'cert.pem',
      '-days',
      '2',
      '-subj',
      '/CN=pebble',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { cwd: dir },
  );
  if (ssl.status !== 0) throw new Error(`openssl: ${ssl.stderr}`);
  const [listen, management, tlsPort] = [await freePort(), await freePort(), await freePort()];
  const dns = await startDns();
  writeFileSync(
    join(dir, 'pebble.json'),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${listen}`,
        managementListenAddress: `127.0.0.1:${management}`,
        certificate: join(dir, 'cert.pem'),
        privateKey: join(dir, 'key.pem'),
        httpPort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
        certificateValidityPeriod: validitySeconds,
      },
    }),
  );
  let log = '';
  const child: ChildProcess = spawn(
    PEBBLE,
    ['-config', join(dir, 'pebble.json'), '-dnsserver', `127.0.0.1:${dns.port}`],
    {
      env: {
        PATH: process.env.PATH ?? '',
        PEBBLE_VA_NOSLEEP: '1',
        PEBBLE_WFE_NONCEREJECT: '0',
        PEBBLE_AUTHZREUSE: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 15_000;
  while (!/Listening on/.test(log)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`pebble did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const caFile = join(dir, 'cert.pem');
  const agent = new Agent({ ca: readFileSync(caFile, 'utf8') });
  return {
    directoryUrl: `https://127.0.0.1:${listen}/dir`,
    caFile,
    issuerRoot: () =>
      new Promise((resolve, reject) => {
        get(`https://127.0.0.1:${management}/roots/0`, { agent }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve(body));
        }).on('error', reject);
      }),
    log: () => log,
    close: async () => {
      child.kill('SIGTERM');
      await exited;
      dns.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
