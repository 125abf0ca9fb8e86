// The installer's flags and their AI_PROXY_* environment equivalents, defined once: the parser
// (args.ts), `--help` and docs/install.md all come from FLAGS.
import { exitCodeTable } from './exit-codes.ts';

export interface FlagDef {
  name: string;
  short?: string;
  value?: string;
  env?: string;
  help: string;
}

export const FLAGS: FlagDef[] = [
  {
    name: 'port',
    value: 'N',
    env: 'AI_PROXY_PORT',
    help: 'host port to publish (1-65535; default: the installed port, else 8080)',
  },
  {
    name: 'bind',
    value: 'ADDR',
    env: 'AI_PROXY_BIND',
    help: 'host address to publish on (default 0.0.0.0; 127.0.0.1: local only)',
  },
  {
    name: 'tls-cert',
    value: 'FILE',
    env: 'AI_PROXY_TLS_CERT',
    help: 'HTTPS with your certificate (PEM chain; with --tls-key; --port defaults to 443)',
  },
  { name: 'tls-key', value: 'FILE', env: 'AI_PROXY_TLS_KEY', help: 'the unencrypted PEM private key of --tls-cert' },
  {
    name: 'domain',
    value: 'NAME[,NAME]',
    env: 'AI_PROXY_DOMAIN',
    help: 'HTTPS with an automatic ACME certificate for these names (needs ports 80 and 443; see docs/https.md)',
  },
  {
    name: 'acme-email',
    value: 'EMAIL',
    env: 'AI_PROXY_ACME_EMAIL',
    help: 'with --domain: contact address for the ACME account',
  },
  {
    name: 'acme-directory',
    value: 'URL',
    env: 'AI_PROXY_ACME_DIRECTORY',
    help: "with --domain: the ACME directory (default Let's Encrypt)",
  },
  {
    name: 'acme-ca',
    value: 'FILE',
    env: 'AI_PROXY_ACME_CA',
    help: "with --domain: PEM CA bundle trusted for a private ACME server's HTTPS",
  },
  { name: 'no-tls', help: 'go back to plain HTTP (a re-run without TLS flags keeps the installed HTTPS settings)' },
  {
    name: 'health-timeout',
    value: 'S',
    env: 'AI_PROXY_HEALTH_TIMEOUT',
    help: 'seconds to wait for the container to become healthy (default 60)',
  },
  {
    name: 'drain-timeout',
    value: 'S',
    env: 'AI_PROXY_DRAIN_TIMEOUT',
    help: "seconds the old container may still finish open requests after an upgrade (0-86400, written to .env as DRAIN_TIMEOUT); the installer then waits until it has (default: return at once, the old one drains on its own up to .env's DRAIN_TIMEOUT, 600)",
  },
  { name: 'archive', value: 'PATH', env: 'AI_PROXY_ARCHIVE', help: 'the release archive (installer.sh passes it)' },
  { name: 'yes', short: 'y', env: 'AI_PROXY_YES', help: 'do not ask for confirmation' },
  { name: 'force', env: 'AI_PROXY_FORCE', help: 'rebuild and recreate even when nothing changed' },
  { name: 'dry-run', help: 'print the plan and change nothing' },
  { name: 'uninstall', help: 'remove the container and images (keeps /srv/ai-proxy)' },
  { name: 'purge', help: 'with --uninstall: also delete /srv/ai-proxy (configuration and token)' },
  {
    name: 'swarm',
    value: 'MODE',
    help: 'Docker Swarm mode: init (first VPS), join (each further VPS), upgrade, leave (see docs/scale-out.md)',
  },
  {
    name: 'manager',
    value: 'ADDR[:PORT]',
    help: 'with --swarm join: the manager printed by --swarm init (port default 2377)',
  },
  {
    name: 'token-file',
    value: 'FILE',
    help: "with --swarm join: the file holding the join token --swarm init printed ('-': stdin)",
  },
  {
    name: 'token',
    value: 'TOKEN',
    env: 'AI_PROXY_SWARM_TOKEN',
    help: 'with --swarm join: refused on the command line (ps shows it to every user); use --token-file or the environment',
  },
  { name: 'replicas', value: 'N', help: 'with --swarm init/upgrade: N tasks in all instead of one per node' },
  {
    name: 'advertise-addr',
    value: 'IP',
    help: 'with --swarm init: the address other nodes reach this one on (needed when it has several)',
  },
  { name: 'json', env: 'AI_PROXY_JSON', help: 'print one JSON summary line on stdout (progress goes to stderr)' },
  { name: 'verbose', help: 'also print the image build output' },
  { name: 'version', help: 'print the installer version' },
  { name: 'help', short: 'h', help: 'print this help' },
];

export function helpText(version: string): string {
  const rows = FLAGS.map((flag) => {
    const name = `${flag.short ? `-${flag.short}, ` : '    '}--${flag.name}${flag.value ? ` ${flag.value}` : ''}`;
    const env = flag.env ? `\n  ${''.padEnd(24)} (environment: ${flag.env})` : '';
    return `  ${name.padEnd(24)} ${flag.help}${env}`;
  });
  return [
    `ai-proxy installer ${version}`,
    '',
    'Usage: sudo ./installer.sh [options]      (runs: ai-proxy install --archive <archive> [options])',
    '',
    'Installs or upgrades ai-proxy as a hardened Docker container named ai-proxy, with its',
    'configuration in /srv/ai-proxy. Re-running with the same archive and port changes nothing;',
    'a new archive upgrades, a new --port reconfigures; configuration survives both.',
    '',
    'Options:',
    ...rows,
    '',
    'Without a terminal and without --port, the installed port (else 8080) is used.',
    'Full log: /var/log/ai-proxy-installer.log',
    '',
    'Exit codes:',
    exitCodeTable(),
  ].join('\n');
}
