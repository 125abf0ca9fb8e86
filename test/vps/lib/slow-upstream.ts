// A slow OpenAI-wire-format upstream for the installed proxy of a VPS: the mock of test/mocks
// in this process, one streamed event per second, so a streamed answer lasts as many seconds as
// its prompt has words (long answers of tools and reasoning models, which an upgrade must not
// cut). It listens on this host's address on the VPS's bridge (the VPS's default gateway), the
// only address the VPS and its containers reach it by; the installed proxy gets a provider for
// it and reloads its configuration with SIGHUP (no restart: a restart is the outage under test).
import assert from 'node:assert/strict';
import { isMap, parseDocument, type YAMLSeq } from 'yaml';
import { startOpenAIMock } from '../../mocks/openai.ts';
import type { MockUpstream } from '../../mocks/server.ts';
import { CONFIG_DIR } from './installed.ts';
import type { LoadRequest } from './load.ts';
import type { Vps } from './vps.ts';

export const SLOW_PROVIDER = 'vps-slow';
export const SLOW_MODEL = `${SLOW_PROVIDER}/gpt-slow`;
const EVENT_DELAY_MS = 1000;

export interface SlowUpstream {
  mock: MockUpstream;
  /** this host's address as the VPS sees it */
  host: string;
}

export async function startSlowUpstream(vps: Vps): Promise<SlowUpstream> {
  const route = (await vps.execOk('ip -4 route show default')).stdout;
  const host = /via (\d+\.\d+\.\d+\.\d+)/.exec(route)?.[1];
  assert.ok(host, `the VPS has no default route: ${route}`);
  return { mock: await startOpenAIMock({ host, port: 0, record: false, eventDelayMs: EVENT_DELAY_MS }), host };
}

/** Adds the provider to provider-config.yaml and reloads the proxy in `container` (SIGHUP). */
export async function useSlowUpstream(vps: Vps, upstream: SlowUpstream, container = 'ai-proxy'): Promise<void> {
  const path = `${CONFIG_DIR}/provider-config.yaml`;
  const doc = parseDocument(await vps.readFile(path));
  const providers = doc.get('providers') as YAMLSeq | undefined;
  assert.ok(providers, `${path} has no providers list`);
  // a second call (a new mock, a new port) replaces the first one's entry
  const earlier = providers.items.findIndex((p) => isMap(p) && p.get('name') === SLOW_PROVIDER);
  if (earlier >= 0) providers.delete(earlier);
  providers.add(
    doc.createNode({
      name: SLOW_PROVIDER,
      type: 'openai-compatible',
      base_url: `http://${upstream.host}:${upstream.mock.port}/v1`,
      api_key: 'slow-upstream-key',
      models: ['gpt-slow'],
    }),
  );
  // `cat >` keeps the file's inode, owner and mode, as an editor saving in place would
  await vps.execOk(`cat > ${path}`, { input: doc.toString() });
  await vps.execOk(`docker kill --signal HUP ${container} >/dev/null`);
}

/**
 * The load of an upgrade test: a plain completion, then a streamed one of `streamSeconds`
 * (about one event per word, one per second), in turn.
 */
export function chatMix(token: string, streamSeconds: number): LoadRequest[] {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const words = Array.from({ length: Math.max(1, streamSeconds - 3) }, (_, i) => `w${i}`).join(' ');
  const body = (stream: boolean, content: string) =>
    JSON.stringify({ model: SLOW_MODEL, stream, messages: [{ role: 'user', content }] });
  return [
    { method: 'POST', path: '/v1/chat/completions', headers, body: body(false, 'hello') },
    { method: 'POST', path: '/v1/chat/completions', headers, body: body(true, words), streamEnd: 'data: [DONE]' },
  ];
}
