// The step lists of --swarm init/join/upgrade/leave and of --uninstall on a manager. They reuse
// the single-VPS steps unchanged where they fit (verifyArchive, extract, configure, build; the
// runner's rollback, lock, log and --json) and add the service steps of this folder.
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { rollback, runSteps } from './run-steps.ts';
import { summarize, type Summary } from '../command/summary.ts';
import { verifyArchive } from '../steps/check-host.ts';
import { extract, removeWorkDir } from '../steps/extract.ts';
import { configure } from '../steps/configure.ts';
import { build } from '../steps/build.ts';
import { pruneImages } from '../steps/clean-up.ts';
import { swarmRole } from '../steps/swarm-role.ts';
import { swarmPlan, swarmPlanLines, swarmPort } from '../steps/swarm-plan.ts';
import { imageCheck } from '../steps/image-check.ts';
import { createObjects, purgeObjects, removeStaleObjects } from '../steps/swarm-objects.ts';
import { deployService, swarmInit, waitConverged } from '../steps/deploy-service.ts';
import { reportHardening } from '../steps/hardening-report.ts';
import { joinSwarm, leaveSwarm, removeStack, watchLocalTask } from '../steps/swarm-membership.ts';
import { SERVICE } from '../engine/stack.ts';
import { swarmSupported } from '../engine/service-spec.ts';
import type { Output } from '../command/progress.ts';
import type { RunState, Step, UndoAction } from './state.ts';
import { need } from './state.ts';

export type SwarmSummary = Summary & {
  swarm?: {
    role: string;
    join?: { manager: string; token: string };
    nodes?: number;
    service?: string;
    tasks?: number;
    hardening?: { applied: string[]; notApplied: string[] };
    lacking?: string[];
  };
};

/** Counts files with a setuid/setgid bit in the build context (the image's whole content). */
function setuidFiles(dir: string): number {
  let found = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found += setuidFiles(path);
    else if (lstatSync(path).mode & 0o6000) found++;
  }
  return found;
}

const checkSetuid: Step = {
  title: 'Checking the image content for setuid/setgid files',
  exitCode: EXIT.extractFailed,
  async run(state) {
    const count = setuidFiles(state.ctx.paths.workDir);
    if (count === 0) state.notes.push('setuid-free');
    return count === 0 ? 'none' : `${count} found: no-new-privileges matters here and Swarm cannot set it`;
  },
};

/**
 * After success: the extracted archive goes, and so do our images that no container uses. The
 * previous version's image stays: Swarm keeps the replaced task's container (task history), which
 * is what a rollback to the previous spec needs.
 */
const cleanUp: Step = {
  title: 'Cleaning up',
  exitCode: EXIT.internal,
  commits: true,
  async run(state) {
    removeWorkDir(state.ctx.paths.workDir);
    try {
      const removed = await pruneImages(
        need(state.engine, 'engine'),
        state.ctx,
        new Set(state.imageId ? [state.imageId] : []),
      );
      return removed
        ? `removed ${state.ctx.paths.workDir} and ${removed} unused old image${removed === 1 ? '' : 's'}`
        : `removed ${state.ctx.paths.workDir}`;
    } catch (error) {
      state.progress.warn(`could not remove old images: ${(error as Error).message}`);
      return `removed ${state.ctx.paths.workDir}`;
    }
  },
};

const upgradeOnWorker: Step[] = [verifyArchive, extract, build, cleanUp];
const managerDeploy: Step[] = [
  extract,
  checkSetuid,
  build,
  swarmInit,
  imageCheck,
  configure,
  createObjects,
  deployService,
  waitConverged,
  removeStaleObjects,
  reportHardening,
  cleanUp,
];

async function confirm(state: RunState): Promise<boolean> {
  for (const line of swarmPlanLines(state)) state.progress.info(line);
  if (state.action === 'unchanged' || state.options.dryRun || state.options.yes || !state.prompter.interactive)
    return true;
  state.progress.pause();
  return state.prompter.confirm('Proceed?', true, state.signal);
}

function joinCommand(state: RunState): { manager: string; token: string } | undefined {
  return state.swarm?.join;
}

/** Runs --swarm MODE after checkHost and the lock; returns the summary (cli.ts prints the --json line). */
export async function runSwarm(
  state: RunState,
  undo: UndoAction[],
  out: Output,
  counter: { total: number },
): Promise<SwarmSummary> {
  const mode = need(state.options.swarm, 'swarm options').mode;
  await runSteps(state, [swarmRole], undo);
  const swarm = need(state.swarm, 'swarm');
  if (mode === 'leave') {
    state.action = 'uninstall';
    await runSteps(state, [leaveSwarm], undo);
    return { ...summarize(state, state.started), action: 'swarm-leave', swarm: { role: 'none' } };
  }
  if (mode === 'join') {
    await runSteps(state, [verifyArchive], undo);
    state.imageRef = `${state.ctx.names.imageRepo}:${need(state.manifest, 'manifest').version}`;
    state.action = 'install';
    await runSteps(state, [extract, build, joinSwarm, watchLocalTask, cleanUp], undo);
    out.write(
      `\nThis node is a worker of the swarm managed by ${state.options.swarm?.manager}, with ${state.imageRef} built locally.\n`,
    );
    return { ...summarize(state, state.started), action: 'swarm-join', swarm: { role: 'worker' } };
  }
  if (mode === 'upgrade' && !swarm.membership.manager) {
    // checkHost, role, then the worker's list: the counter said a manager's 17.
    counter.total = 2 + upgradeOnWorker.length;
    await runSteps(state, [upgradeOnWorker[0]!], undo);
    state.imageRef = `${state.ctx.names.imageRepo}:${need(state.manifest, 'manifest').version}`;
    state.action = 'upgrade';
    await runSteps(state, upgradeOnWorker.slice(1), undo);
    out.write(
      `\n${state.imageRef} is built on this worker. When every node has it, run on the manager: sudo ./installer.sh --swarm upgrade\n`,
    );
    return { ...summarize(state, state.started), action: 'swarm-image', swarm: { role: 'worker' } };
  }
  if (mode === 'upgrade' && !swarm.service)
    throw new InstallError(
      EXIT.usage,
      `the service ${SERVICE} is not deployed: nothing to upgrade`,
      'deploy it with --swarm init',
    );
  await runSteps(state, [verifyArchive, swarmPort, swarmPlan], undo);
  if (!(await confirm(state))) {
    await rollback(state, undo, new InstallError(EXIT.ok, 'cancelled'));
    state.progress.info('Cancelled: nothing was changed.');
    return { ...summarize(state, state.started), action: 'unchanged', cancelled: true };
  }
  if (state.options.dryRun) {
    state.progress.info('Dry run: nothing was changed.');
    return { ...summarize(state, state.started), dryRun: true };
  }
  if (state.action === 'unchanged') {
    await rollback(state, undo, new InstallError(EXIT.ok, 'unchanged'));
    state.progress.info(
      `Nothing to do: ${SERVICE} already runs ${state.manifest?.version} with these settings (use --force to redeploy).`,
    );
  } else {
    await runSteps(state, managerDeploy, undo);
  }
  swarm.join = { manager: `${swarm.membership.nodeAddr}:2377`, token: await swarm.engine.workerJoinToken() };
  const nodes = (await swarm.engine.nodes()).length;
  const summary: SwarmSummary = {
    ...summarize(state, state.started),
    swarm: {
      role: 'manager',
      join: swarm.join,
      nodes,
      service: SERVICE,
      ...(swarm.converged ? { tasks: swarm.converged.tasks } : {}),
      ...(swarm.hardening ? { hardening: swarm.hardening } : {}),
    },
  };
  if (!state.options.json) printSwarmSuccess(out, state, summary);
  return summary;
}

function printSwarmSuccess(out: Output, state: RunState, summary: SwarmSummary): void {
  const swarm = need(state.swarm, 'swarm');
  const join = need(joinCommand(state), 'join');
  const lines = [
    '',
    `ai-proxy ${summary.version} runs as ${SERVICE} on ${summary.swarm?.nodes} node${summary.swarm?.nodes === 1 ? '' : 's'} (port ${state.port}, host mode on each node).`,
    `  Check      curl http://<any node>:${state.port}/ping`,
    `  Token      AUTH_TOKEN in ${state.ctx.paths.configDir}/.env on this manager (a Docker secret on the nodes)`,
    `  Manage     docker service ps ${SERVICE} | docker service logs ${SERVICE}`,
  ];
  if (swarm.hardening) {
    lines.push(`  Hardening  applied: ${swarm.hardening.applied.join('; ')}`);
    for (const missing of swarm.hardening.notApplied) lines.push(`  NOT applied: ${missing}`);
  }
  lines.push(
    '',
    'On each further VPS, copy the two files and run:',
    `  sudo ./installer.sh --swarm join --manager ${join.manager} --token ${join.token}`,
  );
  out.write(`${lines.join('\n')}\n`);
}

/** --uninstall on a manager that runs the stack: the steps that go before the single-VPS ones. */
export function swarmUninstallSteps(purge: boolean): Step[] {
  const purgeStep: Step = {
    title: "Removing the stack's secrets and configs (--purge)",
    exitCode: EXIT.engineUnavailable,
    run: (state) => purgeObjects(state),
  };
  return [removeStack, ...(purge ? [purgeStep] : [])];
}

/** How many steps a mode runs at most (the progress counter's total). */
export function swarmStepCount(options: RunState['options']): number {
  const mode = options.swarm?.mode;
  if (mode === 'leave') return 3;
  if (mode === 'join') return 8;
  // checkHost, role, verify, port, plan, then the deploy list (a worker's upgrade runs fewer).
  return 5 + managerDeploy.length;
}

/** Before the single-VPS uninstall steps: the stack's on a manager; a worker running a task is refused. */
export async function swarmUninstall(state: RunState): Promise<Step[]> {
  const engine = need(state.engine, 'engine');
  if (!swarmSupported(engine.info.apiVersion)) return [];
  const swarmEngine = engine.swarm;
  const membership = await swarmEngine.membership();
  // Finished image-check containers would keep the images from being removed.
  await engine.containers.removeFinished('ai-proxy-image-check-');
  if (membership.state !== 'active') return [];
  state.swarm = { engine: swarmEngine, membership };
  if (membership.manager) {
    state.swarm.service = await swarmEngine.service(SERVICE);
    return swarmUninstallSteps(state.options.purge);
  }
  if ((await engine.containers.ofService(SERVICE)).some((c) => c.state === 'running')) {
    throw new InstallError(
      EXIT.usage,
      `this node is a swarm worker running a task of ${SERVICE}: the manager would start it again`,
      'run --uninstall on the manager, which removes the stack, or take this node out first with --swarm leave',
    );
  }
  return [];
}
