// Runs the real coding-agent CLIs against the release executable (the Node 24 SEA from
// pkg/ai-proxy-release.tar.gz, or AI_PROXY_TEST_BIN) in front of mock upstreams. Every spawn is
// asynchronous: the mocks answer from this process's event loop while an agent runs.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { REQUIRE_E2E, requireArtifacts, unpack } from '../release/artifacts.ts';
import { ANTHROPIC_KEY, OPENAI_KEY, TOKEN } from '../integration/harness.ts';
import { type AgentClis, ensureAgentClis } from './install.ts';

export { TOKEN };

export type Setup = { clis: AgentClis; bin: string; skip: false } | { clis: undefined; bin: undefined; skip: string };

/**
 * The CLIs (installed on demand) and the executable, or a skip reason. Under REQUIRE_E2E=1 a
 * missing piece registers a failing test instead: the run cannot pass without them.
 */
export async function agentSetup(): Promise<Setup> {
  const fail = (reason: string): Setup => {
    if (REQUIRE_E2E)
      test(`agent suite prerequisites (REQUIRE_E2E=1): ${reason.split('\n')[0]}`, () => {
        throw new Error(reason);
      });
    return { clis: undefined, bin: undefined, skip: reason };
  };
  let bin = process.env.AI_PROXY_TEST_BIN;
  if (!bin) {
    const { artifacts, skip } = requireArtifacts();
    if (!artifacts) return { clis: undefined, bin: undefined, skip };
    const dir = await unpack(artifacts.archive, ['ai-proxy']);
    // The executable is ~120 MB: gone with the test process.
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    bin = join(dir, 'ai-proxy');
  }
  try {
    const clis = await ensureAgentClis();
    // What the install adds to a run on a fresh clone (CI), in the runner's output.
    if (clis.installSeconds > 0)
      process.stderr.write(`[agents] the agent CLIs were installed from npm in ${clis.installSeconds} s\n`);
    return { clis, bin, skip: false };
  } catch (error) {
    return fail(`installing the agent CLIs from npm failed: ${(error as Error).message}`);
  }
}

export interface ReleaseProxy {
  url: string;
  /** The proxy's JSON log lines so far. */
  logs(): Record<string, unknown>[];
  /** Request log lines for a path (e.g. "/v1/responses"). */
  requests(path: string): Record<string, unknown>[];
  stop(): Promise<void>;
}

/** Starts `ai-proxy serve` from the executable with this provider-config.yaml. */
export function startRelease(bin: string, yaml: string): Promise<ReleaseProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'aip-agents-'));
  writeFileSync(
    join(dir, '.env'),
    `AUTH_TOKEN=${TOKEN}\nLOG_LEVEL=info\nOPENAI_API_KEY=${OPENAI_KEY}\nANTHROPIC_API_KEY=${ANTHROPIC_KEY}\n`,
  );
  writeFileSync(join(dir, 'provider-config.yaml'), yaml);
  const child = spawn(bin, ['serve', '--config-dir', dir, '--port', '0', '--host', '127.0.0.1'], {
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const logs = () =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the proxy did not start:\n${out}${err}`)), 20_000);
    const onData = () => {
      const m = /"msg":"listening".*?"port":(\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolve({
        url: `http://127.0.0.1:${m[1]}`,
        logs,
        requests: (path) => logs().filter((l) => l.msg === 'request' && l.path === path),
        async stop() {
          if (child.exitCode === null) child.kill('SIGTERM');
          await exited;
          rmSync(dir, { recursive: true, force: true });
        },
      });
    };
    child.stdout.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the proxy exited:\n${out}${err}`));
    });
  });
}

export interface AgentRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const AGENT_TIMEOUT_MS = 180_000;

function runAgent(command: string, args: string[], env: Record<string, string>, cwd: string): Promise<AgentRun> {
  return new Promise((resolve, reject) => {
    // stdin closed: with an open pipe Claude Code waits for input.
    const child = spawn(command, args, {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), AGENT_TIMEOUT_MS);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A fresh HOME and working folder for one agent run. */
function sandbox(): { home: string; work: string; cleanup(): void } {
  const root = mkdtempSync(join(tmpdir(), 'aip-agent-run-'));
  const home = join(root, 'home');
  const work = join(root, 'work');
  mkdirSync(home);
  mkdirSync(work);
  return { home, work, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** `claude -p PROMPT` in print mode with the Bash tool allowed, pointed at the proxy. */
export async function runClaudeCode(
  clis: AgentClis,
  proxyUrl: string,
  model: string,
  prompt: string,
): Promise<AgentRun> {
  const box = sandbox();
  try {
    return await runAgent(
      clis.claude,
      ['-p', prompt, '--allowedTools', 'Bash', '--output-format', 'json'],
      {
        HOME: box.home,
        ANTHROPIC_BASE_URL: proxyUrl,
        ANTHROPIC_API_KEY: TOKEN,
        ANTHROPIC_MODEL: model,
        ANTHROPIC_SMALL_FAST_MODEL: model,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        DISABLE_TELEMETRY: '1',
      },
      box.work,
    );
  } finally {
    box.cleanup();
  }
}

/** `codex exec PROMPT` with a provider speaking the Responses API at the proxy. */
export async function runCodex(
  clis: AgentClis,
  proxyUrl: string,
  model: string,
  prompt: string,
  reasoningEffort?: string,
): Promise<AgentRun> {
  const box = sandbox();
  try {
    mkdirSync(join(box.home, '.codex'));
    writeFileSync(
      join(box.home, '.codex', 'config.toml'),
      [
        `model = "${model}"`,
        'model_provider = "aiproxy"',
        ...(reasoningEffort ? [`model_reasoning_effort = "${reasoningEffort}"`] : []),
        '[model_providers.aiproxy]',
        'name = "ai-proxy"',
        `base_url = "${proxyUrl}/v1"`,
        'env_key = "AI_PROXY_TOKEN"',
        'wire_api = "responses"',
        '',
      ].join('\n'),
    );
    return await runAgent(
      clis.codex,
      ['exec', '--skip-git-repo-check', '--dangerously-bypass-approvals-and-sandbox', prompt],
      { HOME: box.home, AI_PROXY_TOKEN: TOKEN },
      box.work,
    );
  } finally {
    box.cleanup();
  }
}
