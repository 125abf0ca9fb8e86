// `ai-proxy install`: parses the flags, then runs the steps of issue #4 in order through the
// runner (which rolls back on failure or signal) and prints the outcome. Everything the
// installer touches comes from one context object (context.ts) so tests can redirect it.
import { build as buildInfo } from '../src/version.ts';
import { EXIT } from './command/exit-codes.ts';
import { InstallError } from './command/errors.ts';
import { helpText, parseOptions } from './command/args.ts';
import { defaultContext, type InstallContext } from './context.ts';
import { nullLog, openLog, type Logger } from './command/log.ts';
import { acquireLock } from './command/lock.ts';
import { createProgress, type Output } from './command/progress.ts';
import { PromptCancelled, terminalPrompter, defaultsPrompter, type Prompter } from './command/prompts.ts';
import { guardSignals, rollback, runSteps } from './flows/run-steps.ts';
import { summarize, printSuccess, type Summary } from './command/summary.ts';
import { checkHost, verifyArchive } from './steps/check-host.ts';
import { recoverLeftovers } from './steps/recover.ts';
import { choosePort } from './steps/choose-port.ts';
import { confirmPlan, makePlan } from './steps/plan-install.ts';
import { extract } from './steps/extract.ts';
import { configure } from './steps/configure.ts';
import { build } from './steps/build.ts';
import { run } from './steps/start-container.ts';
import { health } from './steps/wait-healthy.ts';
import { finish } from './steps/clean-up.ts';
import { purgeConfig, removeContainers, removeImages } from './steps/remove-installation.ts';
import { runSwarm, swarmStepCount, swarmUninstall } from './flows/swarm.ts';
import type { RunState, Step, UndoAction } from './flows/state.ts';
import { need } from './flows/state.ts';

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

const recoverStep: Step = {
  title: 'Looking for an interrupted earlier run',
  exitCode: EXIT.engineUnavailable,
  async run(state) {
    const engine = need(state.engine, 'engine');
    const done = state.options.dryRun
      ? []
      : await recoverLeftovers(engine, state.ctx, state.log, Math.min(state.options.healthTimeout, 20));
    state.existing = await engine.containers.inspect(state.ctx.names.container);
    if (state.existing?.bind && !state.options.bindGiven) state.bind = state.existing.bind;
    return done.length
      ? done.join('; ')
      : state.existing
        ? `found ${state.ctx.names.container} (${state.existing.running ? (state.existing.health ?? 'running') : 'stopped'})`
        : 'nothing installed yet';
  },
};

const INSTALL_STEPS: Step[] = [extract, configure, build, run, health, finish];

export async function runInstaller(
  argv: string[],
  ctx: InstallContext,
  io: InstallerIO = processIO(),
): Promise<Summary> {
  const started = Date.now();
  let options;
  try {
    options = parseOptions(argv, ctx.env);
  } catch (error) {
    if (argv.includes('--json') && error instanceof InstallError)
      io.stdout.write(`${JSON.stringify(summarize(undefined, started, error))}\n`);
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
  const prompter = options.json || options.yes ? defaultsPrompter() : io.prompter;
  if (ctx.requireRoot && process.getuid?.() !== 0) {
    const error = new InstallError(
      EXIT.notRoot,
      'the installer must run as root',
      'run it with sudo: sudo ./installer.sh',
    );
    if (options.json) io.stdout.write(`${JSON.stringify(summarize(undefined, started, error))}\n`);
    throw error;
  }
  let log: Logger;
  try {
    log = options.dryRun ? nullLog(ctx.paths.logFile) : openLog(ctx.paths.logFile);
  } catch (error) {
    out.write(`warning: cannot write the log ${ctx.paths.logFile}: ${(error as Error).message}\n`);
    log = nullLog(ctx.paths.logFile);
  }
  const color = out.isTTY && !('NO_COLOR' in ctx.env && ctx.env.NO_COLOR !== '');
  const total = options.swarm
    ? swarmStepCount(options)
    : options.uninstall
      ? options.purge
        ? 4
        : 3
      : 5 + INSTALL_STEPS.length;
  const progressOptions = { color, total };
  const progress = createProgress(out, log, progressOptions);
  const guard = guardSignals((message) => progress.warn(message));
  const state: RunState = {
    ctx,
    options,
    log,
    progress,
    prompter,
    signal: guard.controller.signal,
    started,
    bind: options.bind,
    notes: [],
  };
  const undo: UndoAction[] = [];
  let lock: { release(): void } | undefined;
  try {
    await runSteps(state, [checkHost], undo);
    if (!options.dryRun) {
      const taken = acquireLock(ctx.paths.lockFile);
      if ('heldBy' in taken)
        throw new InstallError(
          EXIT.internal,
          `another installer is running (pid ${taken.heldBy})`,
          `wait for it to finish; if it is gone, remove ${ctx.paths.lockFile}`,
        );
      lock = taken;
    }
    if (options.swarm) return finishSummary(io, state, await runSwarm(state, undo, out, progressOptions));
    if (options.uninstall) {
      state.action = 'uninstall';
      const swarmSteps = await swarmUninstall(state);
      progressOptions.total += swarmSteps.length;
      await runSteps(
        state,
        [...swarmSteps, removeContainers, removeImages, ...(options.purge ? [purgeConfig] : [])],
        undo,
      );
      progress.info(
        `ai-proxy is uninstalled${options.purge ? ' and its configuration deleted' : `; the configuration is kept in ${ctx.paths.configDir} (delete it with --uninstall --purge)`}.`,
      );
      return finishSummary(io, state, summarize(state, started));
    }
    await runSteps(state, [recoverStep, verifyArchive, choosePort, makePlan], undo);
    if (!(await confirmPlan(state))) {
      await rollback(state, undo, new InstallError(EXIT.ok, 'cancelled'));
      progress.info('Cancelled: nothing was changed.');
      state.action = 'unchanged';
      return finishSummary(io, state, { ...summarize(state, started), cancelled: true });
    }
    if (state.action === 'unchanged') {
      await rollback(state, undo, new InstallError(EXIT.ok, 'unchanged'));
      progress.info(
        `Nothing to do: ${ctx.names.container} ${state.manifest?.version} is already installed with these settings and healthy (use --force to reinstall).`,
      );
      return finishSummary(io, state, summarize(state, started));
    }
    if (options.dryRun) {
      progress.info('Dry run: nothing was changed.');
      return finishSummary(io, state, { ...summarize(state, started), dryRun: true });
    }
    await runSteps(state, INSTALL_STEPS, undo);
    const summary = summarize(state, started);
    if (!options.json) printSuccess(out, state, summary);
    return finishSummary(io, state, summary);
  } catch (raw) {
    let error =
      raw instanceof PromptCancelled || guard.received()
        ? new InstallError(
            EXIT.interrupted,
            guard.received() ? `interrupted by ${guard.received()}` : 'cancelled at the prompt',
            'nothing is left half done; run the installer again when ready',
          )
        : raw instanceof InstallError
          ? raw
          : new InstallError(
              EXIT.internal,
              `unexpected internal error: ${(raw as Error).message}`,
              `see the full log in ${log.path}`,
            );
    if (!(raw instanceof InstallError)) log.line(`unexpected: ${(raw as Error).stack ?? String(raw)}`);
    // Step failures were rolled back by the runner; this covers a cancel between step lists.
    if (undo.length > 0) error = await rollback(state, undo, error);
    log.line(`exit ${error.exitCode}: ${error.message}${error.hint ? ` (${error.hint})` : ''}`);
    if (options.json) io.stdout.write(`${JSON.stringify(summarize(state, started, error))}\n`);
    throw error;
  } finally {
    lock?.release();
    guard.dispose();
  }
}

function finishSummary(io: InstallerIO, state: RunState, summary: Summary): Summary {
  state.log.line(`exit 0: ${summary.action} in ${summary.durationMs} ms`);
  if (state.options.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
  return summary;
}
