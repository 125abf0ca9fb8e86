// Debian's pebble (Let's Encrypt's test CA) inside a VPS, for the HTTPS scenario. The binary
// comes from THIS host's `pebble` package (`docker cp`: the VPS images stay as they are); its
// own HTTPS certificate names the VPS's docker0 address, which is how the proxy container
// reaches the directory. pebble validates HTTP-01 on port 80 of the name, which an /etc/hosts
// line in the VPS points at the VPS's own address: the request really goes through the
// published port 80 into the proxy's HTTP_PORT.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker } from './run.ts';
import type { Vps } from './vps.ts';

export const PEBBLE_BIN = '/usr/bin/pebble';
const DIR = '/root/pebble';

export interface VpsPebble {
  /** https://<docker0>:14000/dir, as the proxy container reaches it */
  directoryUrl: string;
  /** pebble's own HTTPS certificate inside the VPS (for --acme-ca) */
  caPath: string;
  /** The root that signs issued certificates (PEM), what a client must trust. */
  issuerRoot(): Promise<string>;
  log(): Promise<string>;
}

/** Why the scenario cannot run here, or undefined. */
export function pebbleMissing(): string | undefined {
  return existsSync(PEBBLE_BIN) ? undefined : `${PEBBLE_BIN} is missing on this host (apt-get install -y pebble)`;
}

/** The VPS's own address and its gateway, as this host sees them. */
export async function vpsAddress(vps: Vps): Promise<{ ip: string; gateway: string }> {
  const r = await docker([
    'inspect',
    '--format',
    '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{.Gateway}}{{end}}',
    vps.name,
  ]);
  const [ip = '', gateway = ''] = r.stdout.trim().split(/\s+/);
  if (!ip) throw new Error(`${vps.name} has no IP address on this host's network`);
  return { ip, gateway };
}

/** Maps `name` to the VPS's own address inside the VPS (its "DNS"). */
export async function pointNameAtVps(vps: Vps, name: string): Promise<string> {
  const { ip } = await vpsAddress(vps);
  await vps.execOk(`echo '${ip} ${name}' >> /etc/hosts`);
  return ip;
}

/** Starts pebble in the VPS; issued certificates live `validitySeconds`. */
export async function startPebble(vps: Vps, validitySeconds: number): Promise<VpsPebble> {
  const gateway = (await vps.execOk('ip -4 -o addr show docker0')).stdout.match(/inet (\d+\.\d+\.\d+\.\d+)/)?.[1];
  if (!gateway) throw new Error('docker0 has no IPv4 address in the VPS (is its engine running?)');
  const local = mkdtempSync(join(tmpdir(), 'aip-tlsi-pebble-'));
  try {
    execFileSync(
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
        `subjectAltName=IP:${gateway},IP:127.0.0.1,DNS:localhost`,
      ],
      { cwd: local, stdio: 'pipe' },
    );
    writeFileSync(
      join(local, 'pebble.json'),
      JSON.stringify({
        pebble: {
          listenAddress: '0.0.0.0:14000',
          managementListenAddress: '127.0.0.1:15000',
          certificate: `${DIR}/cert.pem`,
          privateKey: `${DIR}/key.pem`,
          httpPort: 80,
          tlsPort: 5001,
          ocspResponderURL: '',
          externalAccountBindingRequired: false,
          certificateValidityPeriod: validitySeconds,
        },
      }),
    );
    await vps.execOk(`mkdir -p ${DIR}`);
    for (const file of ['cert.pem', 'key.pem', 'pebble.json']) await vps.copyIn(join(local, file), `${DIR}/${file}`);
    await vps.copyIn(PEBBLE_BIN, '/usr/local/bin/pebble');
  } finally {
    rmSync(local, { recursive: true, force: true });
  }
  await vps.execDetached(
    `cd ${DIR} && PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 exec /usr/local/bin/pebble -config ${DIR}/pebble.json > ${DIR}/pebble.log 2>&1`,
  );
  await vps.waitFor(`grep -q 'Listening on' ${DIR}/pebble.log`, 20_000, 'pebble did not start');
  return {
    directoryUrl: `https://${gateway}:14000/dir`,
    caPath: `${DIR}/cert.pem`,
    issuerRoot: async () =>
      (await vps.execOk(`curl -fsS --cacert ${DIR}/cert.pem https://127.0.0.1:15000/roots/0`)).stdout,
    log: async () => (await vps.exec(`cat ${DIR}/pebble.log`)).stdout,
  };
}
