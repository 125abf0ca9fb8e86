// The outcome of a run: one object that is both the `--json` line and the source of the
// success message, so automation and operators see the same facts.
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { ENV_FILE, PROVIDER_FILE } from '../../src/contract/container.ts';
import type { InstallError } from './errors.ts';
import { seconds, type Output } from './progress.ts';
import type { RunState } from '../flows/state.ts';
import { tlsSummary } from '../https/https-setup.ts';

export interface Summary {
  ok: boolean;
  exitCode: number;
  action: string;
  version?: string;
  port?: number;
  bind?: string;
  url?: string;
  container?: string;
  image?: string;
  imageId?: string;
  configDir?: string;
  tokenFile?: string;
  authToken?: string;
  dryRun?: boolean;
  cancelled?: boolean;
  durationMs: number;
  steps?: Array<{ step: string; ms: number; status: string }>;
  error?: string;
  hint?: string;
  /** HTTPS: mode, names, not_after (your certificate), host ports. */
  tls?: Record<string, unknown>;
}

/** The address a client elsewhere would use: the bind address, or this host's first public IPv4. */
export function publicHost(bind: string): string {
  if (bind !== '0.0.0.0' && bind !== '::') return bind.includes(':') ? `[${bind}]` : bind;
  // Docker's own bridges (docker0, br-*, veth*) are not how clients reach this host.
  for (const [name, list] of Object.entries(networkInterfaces())) {
    if (/^(docker|br-|veth|virbr|cni|flannel|cali)/.test(name)) continue;
    for (const address of list ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  return '127.0.0.1';
}

export function summarize(state: RunState | undefined, started: number, error?: InstallError): Summary {
  const summary: Summary = {
    ok: !error,
    exitCode: error ? error.exitCode : 0,
    action: state?.action ?? (error ? 'failed' : 'none'),
    durationMs: Date.now() - started,
  };
  if (state) {
    if (state.manifest) summary.version = state.manifest.version;
    if (state.port !== undefined) {
      summary.port = state.port;
      summary.bind = state.bind;
      const https = state.tls && state.tls.settings.mode !== 'off';
      const host =
        state.tls?.settings.mode === 'acme' ? state.tls.settings.domains[0] : publicHost(state.bind ?? '0.0.0.0');
      summary.url = https
        ? `https://${host}${state.port === 443 ? '' : `:${state.port}`}`
        : `http://${publicHost(state.bind ?? '0.0.0.0')}:${state.port}`;
      if (state.tls) summary.tls = tlsSummary(state.tls, state.port);
    }
    summary.container = state.ctx.names.container;
    if (state.imageRef) summary.image = state.imageRef;
    if (state.imageId) summary.imageId = state.imageId;
    summary.configDir = state.ctx.paths.configDir;
    summary.tokenFile = join(state.ctx.paths.configDir, ENV_FILE);
    if (!error && state.config?.generatedToken && state.imageId) summary.authToken = state.config.generatedToken;
    summary.steps = state.progress.timings;
  }
  if (error) {
    summary.error = error.message;
    if (error.hint) summary.hint = error.hint;
  }
  return summary;
}

export function printSuccess(out: Output, state: RunState, summary: Summary): void {
  const name = state.ctx.names.container;
  const lines = [
    '',
    `ai-proxy ${summary.version} is ${state.action === 'upgrade' ? 'upgraded' : state.action === 'reconfigure' ? 'reconfigured' : 'installed'} and healthy (${seconds(summary.durationMs)}).`,
    `  URL        ${summary.url}   (check: curl ${summary.url}/ping)`,
    summary.authToken
      ? `  Token      ${summary.authToken}\n             (shown once; it is stored as AUTH_TOKEN in ${summary.tokenFile})`
      : `  Token      AUTH_TOKEN in ${summary.tokenFile} (sudo grep AUTH_TOKEN ${summary.tokenFile})`,
    `  Providers  edit ${join(state.ctx.paths.configDir, PROVIDER_FILE)}, then: docker restart ${name}`,
    `  Manage     docker logs -f ${name} | docker restart ${name} | docker exec ${name} /app/ai-proxy config`,
    `  Uninstall  sudo ./installer.sh --uninstall   (add --purge to delete the configuration too)`,
  ];
  const tls = state.tls?.settings;
  if (tls?.mode === 'file' && state.tls?.cert) {
    lines.push(
      `  HTTPS      your certificate for ${state.tls.cert.names.join(', ')}, valid until ${state.tls.cert.notAfter.toISOString()}; replace ${join(state.ctx.paths.configDir, 'tls')}/cert.pem and key.pem (then: docker kill -s HUP ${name}) or re-run with --tls-cert/--tls-key`,
    );
  } else if (tls?.mode === 'acme') {
    lines.push(
      `  HTTPS      automatic certificate for ${tls.domains.join(', ')}, renewed by the proxy; state in ${join(state.ctx.paths.configDir, 'acme')} (see docs/https.md)`,
    );
  } else if (state.bind !== '127.0.0.1' && state.bind !== '::1') {
    lines.push(
      `  Note       plain HTTP: the token crosses the network in clear text. Add HTTPS: re-run with --domain api.example.com (a DNS name pointing here, ports 80 and 443 free), or --tls-cert FILE --tls-key FILE; or use --bind 127.0.0.1 behind a TLS-terminating proxy.`,
    );
  }
  out.write(`${lines.join('\n')}\n`);
}
