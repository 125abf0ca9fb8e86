// Runs the installer as its own process (signals need one) with a test context given as JSON
// in AIP_INST_CONTEXT: {"name": "...", "dirs": {...}}. Prints progress like the real CLI.
import { contextFor } from '../../../installer/context.ts';
import { runInstaller } from '../../../installer/cli.ts';
import { defaultsPrompter } from '../../../installer/command/prompts.ts';

const { name, dirs } = JSON.parse(process.env.AIP_INST_CONTEXT ?? '{}');
const ctx = contextFor(name, dirs);
const io = {
  stdout: { isTTY: false, write: (text: string) => void process.stdout.write(text) },
  stderr: { isTTY: false, write: (text: string) => void process.stderr.write(text) },
  prompter: defaultsPrompter(),
};
runInstaller(process.argv.slice(2), ctx, io).then(
  () => process.exit(0),
  (error: { exitCode?: number; message?: string }) => {
    process.stderr.write(`child: ${error.message}\n`);
    process.exit(error.exitCode ?? 1);
  },
);
