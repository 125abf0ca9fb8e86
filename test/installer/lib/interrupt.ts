// Interrupts the installer (lib/child.ts, its own process) in a chosen step and reports where
// the signal really landed, from the installer's own log: the last step that started, and
// whether it finished. A test whose title names a step asserts that the signal landed there.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestInstall } from './harness.ts';

const CHILD = resolve(import.meta.dirname, 'child.ts');
let runs = 0;

export interface Interruption {
  /** exit code (null when killed) and the signal that ended it (SIGKILL) */
  code: number | null;
  killedBy: NodeJS.Signals | null;
  output: string;
  /** the last step the log says started, and whether the log says it ended (done/failed/skipped) */
  lastStarted: number | undefined;
  lastEnded: boolean;
  log: string;
}

export interface InterruptOptions {
  step: number;
  signal?: 'SIGINT' | 'SIGKILL';
  /** hold the installer at the start of the step (lib/child.ts) while the test acts */
  hold?: boolean;
  /** once the step started: wait until this holds (e.g. the old container was renamed) */
  until?: () => boolean;
  /** once the step started (and `until` held): change the host before the signal */
  act?: () => void;
}

export async function interruptAt(t: TestInstall, argv: string[], options: InterruptOptions): Promise<Interruption> {
  const logFile = t.ctx.paths.logFile;
  const offset = existsSync(logFile) ? statSync(logFile).size : 0;
  const release = join(t.root, `release-${process.pid}-${++runs}`);
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...argv], {
    env: {
      ...process.env,
      NO_COLOR: '1',
      AIP_INST_CONTEXT: JSON.stringify({ name: t.name, dirs: { ...t.ctx.paths, hostRoot: t.ctx.hostRoot } }),
      AIP_INST_HOLD_STEP: options.hold ? String(options.step) : '',
      AIP_INST_RELEASE: release,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const marker = options.hold ? `[held at ${options.step}]` : new RegExp(`⠋ \\[${options.step}/\\d+\\] `);
  const reached = new Promise<boolean>((done) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (typeof marker === 'string' ? output.includes(marker) : marker.test(output)) done(true);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', () => done(false));
  });
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((done) =>
    child.once('exit', (code, signal) => done([code, signal])),
  );
  if (await reached) {
    const deadline = Date.now() + 60_000;
    while (options.until && !options.until() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    options.act?.();
    if (options.signal) child.kill(options.signal);
    writeFileSync(release, '');
  }
  const [code, killedBy] = await exited;
  const log = readFileSync(logFile, 'utf8').slice(offset);
  const started = [...log.matchAll(/ step \[(\d+)\/\d+\]/g)].map((m) => Number(m[1]));
  const lastStarted = started.at(-1);
  const lastEnded =
    lastStarted !== undefined && new RegExp(` (done|failed|skipped) \\[${lastStarted}/\\d+\\]`).test(log);
  return { code, killedBy, output, lastStarted, lastEnded, log };
}
