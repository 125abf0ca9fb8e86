// `ai-proxy install`: parses the flags, checks root, opens the log, and hands the flow the flags
// ask for (flows/) to the one runner, which rolls back on failure or signal and prints the
// outcome. Everything the installer touches comes from one context object (context.ts) so tests
// can redirect it.
import { build as buildInfo } from '../src/version.ts';
import { parseOptions, type Options } from './command/args.ts';
import { helpText } from './command/flags.ts';
import { InstallError } from './command/errors.ts';
import { EXIT } from './command/exit-codes.ts';
import { nullLog, openLog, type Logger } from './command/log.ts';
import type { Output } from './command/progress.ts';
import { defaultsPrompter, terminalPrompter, type Prompter } from './command/prompts.ts';
import { summarizeFailure, type Summary } from './command/summary.ts';
import { defaultContext, type InstallContext } from './context.ts';
import type { Flow } from './flows/flow.ts';
import { installFlow } from './flows/install.ts';
import { runFlow } from './flows/run-flow.ts';
import { swarmFlows } from './flows/swarm-modes.ts';
import { uninstallFlow } from './flows/uninstall.ts';

export interface InstallerIO {
  stdout: Output;
  stderr: Output;
  prompter: Prompter;
}

function processIO(): InstallerIO {
  // A closed terminal (SIGHUP over SSH) makes writes fail asynchronously with EIO/EPIPE; an
  // unhandled 'error' event would kill the process in the middle of its rollback.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  const wrap = (stream: NodeJS.WriteStream): Output => ({
    isTTY: Boolean(stream.isTTY),
    write: (text) => {
      try {
        stream.write(text);
      } catch {
        // a closed terminal (SIGHUP) must not stop the rollback
      }
    },
  });
  return { stdout: wrap(process.stdout), stderr: wrap(process.stderr), prompter: terminalPrompter() };
}

export async function installCommand(argv: string[]): Promise<void> {
  await runInstaller(argv, defaultContext(), processIO());
}

/** The flow the flags ask for. */
function flowFor(options: Options): Flow {
  if (options.swarm) return swarmFlows[options.swarm.mode];
  return options.uninstall ? uninstallFlow : installFlow;
}

export async function runInstaller(
  argv: string[],
  ctx: InstallContext,
  io: InstallerIO = processIO(),
): Promise<Summary> {
  const started = Date.now();
  let options: Options;
  try {
    options = parseOptions(argv, ctx.env);
  } catch (error) {
    if (argv.includes('--json') && error instanceof InstallError)
      io.stdout.write(`${JSON.stringify(summarizeFailure(started, error))}\n`);
    throw error;
  }
  if (options.help) {
    io.stdout.write(`${helpText(buildInfo.version)}\n`);
    return { ok: true, exitCode: 0, action: 'help' } as Summary;
  }
  if (options.version) {
    io.stdout.write(`ai-proxy installer ${buildInfo.version} (commit ${buildInfo.commit})\n`);
    return { ok: true, exitCode: 0, action: 'version' } as Summary;
  }
  const out = options.json ? io.stderr : io.stdout;
  if (ctx.requireRoot && process.getuid?.() !== 0) {
    const error = new InstallError(
      EXIT.notRoot,
      'the installer must run as root',
      'run it with sudo: sudo ./installer.sh',
    );
    if (options.json) io.stdout.write(`${JSON.stringify(summarizeFailure(started, error))}\n`);
    throw error;
  }
  let log: Logger;
  try {
    log = options.dryRun ? nullLog(ctx.paths.logFile) : openLog(ctx.paths.logFile);
  } catch (error) {
    out.write(`warning: cannot write the log ${ctx.paths.logFile}: ${(error as Error).message}\n`);
    log = nullLog(ctx.paths.logFile);
  }
  return runFlow(flowFor(options), {
    ctx,
    options,
    log,
    prompter: options.json || options.yes ? defaultsPrompter() : io.prompter,
    started,
    out,
    stdout: io.stdout,
    color: out.isTTY && !('NO_COLOR' in ctx.env && ctx.env.NO_COLOR !== ''),
  });
}
