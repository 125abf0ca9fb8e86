// Runs the installer as its own process (signals need one) with a test context given as JSON
// in AIP_INST_CONTEXT: {"name": "...", "dirs": {...}}. Prints progress like the real CLI on a
// terminal: each step's "⠋ [n/N] title" line as the step starts (NO_COLOR keeps it plain), so a
// test can tell which step is running.
//
// AIP_INST_HOLD_STEP=n holds the installer at the start of step n (its log line written, its
// work not begun) until the file AIP_INST_RELEASE exists, after printing "[held at n]": a test
// signals it there, or changes the host, and then releases it. Steps that take a few
// milliseconds cannot be hit reliably any other way; the hold changes when the step runs, not
// what it does.
import { existsSync, writeSync } from 'node:fs';
import { contextFor } from '../../../installer/context.ts';
import { runInstaller } from '../../../installer/cli.ts';
import { defaultsPrompter } from '../../../installer/command/prompts.ts';

// the step lines are matched as plain text (ctx.env is this process's environment)
process.env.NO_COLOR ??= '1';
const { name, dirs } = JSON.parse(process.env.AIP_INST_CONTEXT ?? '{}');
const ctx = contextFor(name, dirs);
const holdStep = process.env.AIP_INST_HOLD_STEP;
const release = process.env.AIP_INST_RELEASE ?? '';
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function holdIfStarting(text: string): void {
  if (!holdStep || !new RegExp(`^⠋ \\[${holdStep}/\\d+\\] `).test(text)) return;
  writeSync(1, `\n[held at ${holdStep}]\n`);
  while (!existsSync(release)) Atomics.wait(sleeper, 0, 0, 20);
}

const io = {
  stdout: {
    isTTY: true,
    write: (text: string) => {
      writeSync(1, text);
      holdIfStarting(text);
    },
  },
  stderr: { isTTY: false, write: (text: string) => void writeSync(2, text) },
  prompter: defaultsPrompter(),
};
runInstaller(process.argv.slice(2), ctx, io).then(
  () => process.exit(0),
  (error: { exitCode?: number; message?: string }) => {
    process.stderr.write(`child: ${error.message}\n`);
    process.exit(error.exitCode ?? 1);
  },
);
