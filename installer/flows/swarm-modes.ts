// The --swarm modes as data. A manager (init, and upgrade where the node manages the swarm)
// looks (role, verify, port, plan), passes the gate and deploys; a joining worker builds the
// image and joins; a worker's upgrade only builds the image; leave leaves. They reuse the
// single-VPS steps where they fit (verify, extract, configure, build) and the same runner.
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import type { SwarmMode } from '../command/swarm-args.ts';
import { printSwarmSuccess, type SwarmSummary } from '../command/swarm-summary.ts';
import { summarize } from '../command/summary.ts';
import { SERVICE } from '../engine/stack.ts';
import { build } from '../steps/build.ts';
import { configure } from '../steps/configure.ts';
import { createObjects } from '../steps/create-objects.ts';
import { deployService } from '../steps/deploy-service.ts';
import { extract } from '../steps/extract.ts';
import { reportHardening } from '../steps/hardening-report.ts';
import { imageCheck } from '../steps/image-check.ts';
import { joinSwarm } from '../steps/join-swarm.ts';
import { leaveSwarm } from '../steps/leave-swarm.ts';
import { removeStaleObjects } from '../steps/remove-stale-objects.ts';
import { checkSetuid } from '../steps/setuid-check.ts';
import { swarmCleanUp } from '../steps/swarm-clean-up.ts';
import { swarmInit } from '../steps/swarm-init.ts';
import { swarmPlan, swarmPlanLines, swarmUnchangedLine } from '../steps/swarm-plan.ts';
import { swarmPort } from '../steps/swarm-port.ts';
import { swarmRole, type SwarmPlace } from '../steps/swarm-role.ts';
import type { VerifiedArchive } from '../steps/verify-archive.ts';
import { verifyArchive } from '../steps/verify-archive.ts';
import { waitConverged } from '../steps/wait-converged.ts';
import { watchLocalTask } from '../steps/watch-task.ts';
import { flow, type Flow, type FlowBuilder, type HostChecked } from './flow.ts';
import type { Run } from './step.ts';

type Placed = HostChecked & SwarmPlace;

/** The image a worker builds: the archive's version, as the manager's plan names it. */
function imageOfArchive(run: Run, { archive }: { archive: VerifiedArchive }): string {
  return `${run.ctx.names.imageRepo}:${archive.manifest.version}`;
}

function deployFromManager<S extends Placed>(f: FlowBuilder<S>): Flow {
  return f
    .phase('inspect')
    .step(verifyArchive)
    .phase('plan')
    .step(swarmPort)
    .step(swarmPlan)
    .gate({ plan: swarmPlanLines, confirm: true, unchanged: swarmUnchangedLine })
    .phase('apply')
    .step(extract)
    .step(checkSetuid)
    .step(build)
    .step(swarmInit)
    .step(imageCheck)
    .step(configure)
    .step(createObjects)
    .step(deployService)
    .step(waitConverged)
    .phase('commit')
    .step(removeStaleObjects)
    .step(reportHardening)
    .step(swarmCleanUp)
    .report(async (run, facts, _outcome, out) => {
      const { swarm } = facts.engine;
      const join = { manager: `${facts.membership.nodeAddr}:2377`, token: await swarm.workerJoinToken() };
      const summary: SwarmSummary = {
        ...summarize(run, facts),
        swarm: {
          role: 'manager',
          join,
          nodes: (await swarm.nodes()).length,
          service: SERVICE,
          ...(facts.converged ? { tasks: facts.converged.tasks } : {}),
          ...(facts.hardening ? { hardening: facts.hardening } : {}),
        },
      };
      if (!run.options.json) printSwarmSuccess(out, run.ctx.paths.configDir, facts.port, summary);
      return summary;
    });
}

function buildOnWorker<S extends Placed>(f: FlowBuilder<S>): Flow {
  return f
    .phase('inspect')
    .step(verifyArchive)
    .derive((run, facts) => ({ imageRef: imageOfArchive(run, facts), action: 'upgrade' }))
    .gate({})
    .phase('apply')
    .step(extract)
    .step(build)
    .phase('commit')
    .step(swarmCleanUp)
    .report((run, facts, _outcome, out) => {
      out.write(
        `\n${facts.imageRef} is built on this worker. When every node has it, run on the manager: sudo ./installer.sh --swarm upgrade\n`,
      );
      const summary: SwarmSummary = { ...summarize(run, facts), action: 'swarm-image', swarm: { role: 'worker' } };
      return summary;
    });
}

/** --swarm upgrade: a worker only builds the image; a manager deploys, once the service exists. */
async function managerOrWorker(_run: Run, { membership, service }: Placed) {
  if (!membership.manager) return { path: 'worker' as const };
  if (!service)
    throw new InstallError(
      EXIT.usage,
      `the service ${SERVICE} is not deployed: nothing to upgrade`,
      'deploy it with --swarm init',
    );
  return { path: 'manager' as const };
}

const placed = () => flow('swarm').phase('check').step(swarmRole);

export const swarmFlows: Record<SwarmMode, Flow> = {
  init: deployFromManager(placed()),
  // The manager's path comes first: until the role is known, the counter counts it.
  upgrade: placed().branch(managerOrWorker, { manager: deployFromManager, worker: buildOnWorker }),
  join: placed()
    .phase('inspect')
    .step(verifyArchive)
    .derive((run, facts) => ({ imageRef: imageOfArchive(run, facts), action: 'install' }))
    .gate({})
    .phase('apply')
    .step(extract)
    .step(build)
    .step(joinSwarm)
    .phase('commit')
    .step(watchLocalTask)
    .step(swarmCleanUp)
    .report((run, facts, _outcome, out) => {
      out.write(
        `\nThis node is a worker of the swarm managed by ${run.options.swarm?.manager}, with ${facts.imageRef} built locally.\n`,
      );
      const summary: SwarmSummary = { ...summarize(run, facts), action: 'swarm-join', swarm: { role: 'worker' } };
      return summary;
    }),
  leave: placed()
    .derive(() => ({ action: 'uninstall' }))
    .gate({})
    .phase('leave')
    .step(leaveSwarm)
    .report((run, facts) => {
      const summary: SwarmSummary = { ...summarize(run, facts), action: 'swarm-leave', swarm: { role: 'none' } };
      return summary;
    }),
};
