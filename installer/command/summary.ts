// The outcome of a run: one object that is both the `--json` line and the source of the
// success message, so automation and operators see the same facts.
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { ENV_FILE, PROVIDER_FILE } from '../../src/contract/container.ts';
import type { InstallError } from './errors.ts';
import { seconds, type Output } from './progress.ts';
import type { Run } from '../flows/step.ts';
import type { Manifest } from '../archive/read-archive.ts';
import type { ConfigChange } from '../config-files/config-change.ts';
import { tlsSummary, type HttpsSetup } from '../https/https-setup.ts';

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
function publicHost(bind: string): string {
  if (bind !== '0.0.0.0' && bind !== '::') return bind.includes(':') ? `[${bind}]` : bind;
  // Docker's own bridges (docker0, br-*, veth*) are not how clients reach this host.
  for (const [name, list] of Object.entries(networkInterfaces())) {
    if (/^(docker|br-|veth|virbr|cni|flannel|cali)/.test(name)) continue;
    for (const address of list ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  return '127.0.0.1';
}

/** The facts of a run the summary reports, as the steps produced them (any may be missing after a failure). */
export interface Facts {
  action?: string;
  archive?: { manifest: Manifest };
  port?: number;
  bind?: string;
  https?: HttpsSetup;
  imageRef?: string;
  imageId?: string;
  config?: ConfigChange;
}

/** A failure before any flow ran (usage, not root): no host facts to report. */
export function summarizeFailure(started: number, error: InstallError): Summary {
  return {
    ok: false,
    exitCode: error.exitCode,
    action: 'failed',
    durationMs: Date.now() - started,
    error: error.message,
    ...(error.hint ? { hint: error.hint } : {}),
  };
}

export function summarize(run: Run, facts: Facts, error?: InstallError): Summary {
  const summary: Summary = {
    ok: !error,
    exitCode: error ? error.exitCode : 0,
    action: facts.action ?? (error ? 'failed' : 'none'),
    durationMs: Date.now() - run.started,
  };
  if (facts.archive) summary.version = facts.archive.manifest.version;
  if (facts.port !== undefined) {
    summary.port = facts.port;
    summary.bind = facts.bind;
    const https = facts.https && facts.https.settings.mode !== 'off';
    const host =
      facts.https?.settings.mode === 'acme' ? facts.https.settings.domains[0] : publicHost(facts.bind ?? '0.0.0.0');
    summary.url = https
      ? `https://${host}${facts.port === 443 ? '' : `:${facts.port}`}`
      : `http://${publicHost(facts.bind ?? '0.0.0.0')}:${facts.port}`;
    if (facts.https) summary.tls = tlsSummary(facts.https, facts.port);
  }
  summary.container = run.ctx.names.container;
  if (facts.imageRef) summary.image = facts.imageRef;
  if (facts.imageId) summary.imageId = facts.imageId;
  summary.configDir = run.ctx.paths.configDir;
  summary.tokenFile = join(run.ctx.paths.configDir, ENV_FILE);
  if (!error && facts.config?.generatedToken && facts.imageId) summary.authToken = facts.config.generatedToken;
  summary.steps = run.progress.timings;
  if (error) {
    summary.error = error.message;
    if (error.hint) summary.hint = error.hint;
  }
  return summary;
}

export function printSuccess(out: Output, run: Run, facts: Facts, summary: Summary): void {
  const name = run.ctx.names.container;
  const lines = [
    '',
    `ai-proxy ${summary.version} is ${facts.action === 'upgrade' ? 'upgraded' : facts.action === 'reconfigure' ? 'reconfigured' : 'installed'} and healthy (${seconds(summary.durationMs)}).`,
    `  URL        ${summary.url}   (check: curl ${summary.url}/ping)`,
    summary.authToken
      ? `  Token      ${summary.authToken}\n             (shown once; it is stored as AUTH_TOKEN in ${summary.tokenFile})`
      : `  Token      AUTH_TOKEN in ${summary.tokenFile} (sudo grep AUTH_TOKEN ${summary.tokenFile})`,
    // a reload and a re-run, not `docker restart`: a restart refuses connections and cuts streams
    `  Providers  edit ${join(run.ctx.paths.configDir, PROVIDER_FILE)}, then: docker kill --signal HUP ${name}   (reloaded in place)`,
    `  Settings   edit ${summary.tokenFile}, then run the installer again   (a new container takes over, no gap)`,
    `  Manage     docker logs -f ${name} | docker exec ${name} /app/ai-proxy config`,
    `  Uninstall  sudo ./installer.sh --uninstall   (add --purge to delete the configuration too)`,
  ];
  const tls = facts.https?.settings;
  if (tls?.mode === 'file' && facts.https?.cert) {
    lines.push(
      `  HTTPS      your certificate for ${facts.https.cert.names.join(', ')}, valid until ${facts.https.cert.notAfter.toISOString()}; replace ${join(run.ctx.paths.configDir, 'tls')}/cert.pem and key.pem (then: docker kill -s HUP ${name}) or re-run with --tls-cert/--tls-key`,
    );
  } else if (tls?.mode === 'acme') {
    lines.push(
      `  HTTPS      automatic certificate for ${tls.domains.join(', ')}, renewed by the proxy; state in ${join(run.ctx.paths.configDir, 'acme')} (see docs/https.md)`,
    );
  } else if (facts.bind !== '127.0.0.1' && facts.bind !== '::1') {
    lines.push(
      `  Note       plain HTTP: the token crosses the network in clear text. Add HTTPS: re-run with --domain api.example.com (a DNS name pointing here, ports 80 and 443 free), or --tls-cert FILE --tls-key FILE; or use --bind 127.0.0.1 behind a TLS-terminating proxy.`,
    );
  }
  out.write(`${lines.join('\n')}\n`);
}
