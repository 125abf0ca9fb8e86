// Creating the swarm, deploying the service and waiting until Swarm says it converged. A task
// with a health check is "running" only once it is healthy, so counting running tasks of the
// new spec is the health gate; during an update Swarm itself watches each task (UpdateConfig)
// and rolls back on a failure, which we read back and turn into exit 13 with the task's error.
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { engineMessage } from '../engine/calls.ts';
import type { ServiceView, Swarm, TaskView } from '../engine/swarm.ts';
import { poll } from '../engine/poll.ts';
import { ROLLOUT, serviceSpec } from '../engine/service-spec.ts';
import { SERVICE } from '../engine/stack.ts';
import { eligible } from './image-check.ts';
import type { Step } from '../flows/state.ts';
import { need } from '../flows/state.ts';

export const swarmInit: Step = {
  title: 'Creating the swarm on this node',
  exitCode: EXIT.engineUnavailable,
  async run(state, undo) {
    const swarm = need(state.swarm, 'swarm');
    if (swarm.membership.state === 'active') return 'already a manager: using its swarm';
    try {
      await swarm.engine.init(state.options.swarm?.advertiseAddr);
    } catch (error) {
      const message = engineMessage(error);
      if (/advertise|multiple addresses|listen-addr/i.test(message)) {
        throw new InstallError(
          EXIT.usage,
          `Docker cannot choose this node's swarm address: ${message.split('\n')[0]}`,
          'pass the address the other VPSes reach this one on: --advertise-addr IP',
        );
      }
      throw new InstallError(EXIT.engineUnavailable, `could not create the swarm: ${message}`, `see ${state.log.path}`);
    }
    undo({ label: 'leave the swarm this run created', run: () => swarm.engine.leave(true) });
    swarm.membership = await swarm.engine.membership();
    swarm.nodes = await swarm.engine.nodes();
    return `manager at ${swarm.membership.nodeAddr}:2377`;
  },
};

export const deployService: Step = {
  title: (state) =>
    state.swarm?.service
      ? `Updating the service ${SERVICE} (rolling, one node at a time)`
      : `Deploying the stack ai-proxy (service ${SERVICE})`,
  exitCode: EXIT.startFailed,
  async run(state, undo) {
    const swarm = need(state.swarm, 'swarm');
    const plan = need(swarm.plan, 'swarm plan');
    const ids = need(swarm.ids, 'secret ids');
    const spec = serviceSpec({
      image: need(state.imageRef, 'image'),
      version: need(state.manifest, 'manifest').version,
      port: need(state.port, 'port'),
      ...(state.options.swarm?.replicas !== undefined ? { replicas: state.options.swarm.replicas } : {}),
      env: plan.env,
      secrets: plan.secrets.map((s) => ({ variable: s.variable, name: s.name, id: need(ids.get(s.name), s.name) })),
      provider: { name: plan.provider.name, id: need(ids.get(plan.provider.name), plan.provider.name) },
      configHash: plan.configHash,
      apiVersion: need(state.engine, 'engine').info.apiVersion,
    });
    const before = swarm.service;
    try {
      if (!before) {
        await swarm.engine.createService(spec);
        undo({
          label: `remove the service ${SERVICE}`,
          run: async () => void (await swarm.engine.removeService(SERVICE)),
        });
        return 'created';
      }
      if (state.options.force)
        (spec.TaskTemplate as { ForceUpdate?: number }).ForceUpdate =
          ((before.spec.TaskTemplate as { ForceUpdate?: number })?.ForceUpdate ?? 0) + 1;
      swarm.updateStartedAt = new Date(Date.now() - 1000).toISOString();
      await swarm.engine.updateService(before.id, before.version, spec);
    } catch (error) {
      if (state.signal.aborted) throw error;
      throw new InstallError(
        EXIT.startFailed,
        `the engine refused the service: ${engineMessage(error)}`,
        `see ${state.log.path}; nothing was deployed`,
      );
    }
    undo({
      label: `roll ${SERVICE} back to its previous spec`,
      run: () => rollBack(swarm.engine, state.options.healthTimeout),
    });
    return `update started (previous: ${before.spec.Labels?.['ai-proxy.version'] ?? '?'})`;
  },
};

/** Undo of an update: Swarm's own rollback, unless Swarm already did it. */
async function rollBack(engine: Swarm, healthTimeout: number): Promise<void> {
  const current = await engine.service(SERVICE);
  if (!current || current.updateState?.startsWith('rollback')) return;
  await engine.rollbackService(current.id, current.version, current.previousSpec ?? current.spec);
  const finished = new Set(['rollback_completed', 'rollback_paused']);
  await poll(async () => (finished.has((await engine.service(SERVICE))?.updateState ?? '') ? true : undefined), {
    timeoutMs: healthTimeout * 3000,
  });
}

/** The newest failed task's error: what an operator needs to know why. */
export function lastTaskError(tasks: TaskView[]): string | undefined {
  const failed = tasks
    .filter((t) => (t.state === 'failed' || t.state === 'rejected') && (t.error || t.message))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  return failed ? `${failed.error || failed.message}` : undefined;
}

export interface Progress {
  done: boolean;
  running: number;
  expected: number;
  failure?: string;
}

/** Pure: one look at the service and its tasks. */
export function judgeRollout(
  service: ServiceView,
  tasks: TaskView[],
  expected: number,
  image: string,
  created: boolean,
  since = '',
  nodes?: ReadonlySet<string>,
): Progress {
  // A node that is down keeps its last task "running" in the manager's view: only reachable nodes count.
  const current = tasks.filter((t) => t.desired === 'running' && (!nodes || nodes.has(t.nodeId)));
  const running = current.filter((t) => t.state === 'running' && t.image === image).length;
  // An UpdateStatus older than this run's update belongs to an earlier update.
  const state = created || (service.updateCompletedAt ?? '9') >= since ? service.updateState : 'updating';
  if (state === 'rollback_completed' || state === 'rollback_paused' || state === 'paused') {
    return {
      done: true,
      running,
      expected,
      failure: `Swarm ${state === 'paused' ? 'paused' : 'rolled back'} the update: ${lastTaskError(tasks) ?? service.updateMessage ?? 'a task failed'}`,
    };
  }
  if (created) {
    const failures = tasks.filter((t) => t.state === 'failed' || t.state === 'rejected').length;
    // With restart policy "any" Swarm retries forever: two failures per expected task is enough evidence.
    if (failures >= 2 * Math.max(1, expected))
      return {
        done: true,
        running,
        expected,
        failure: `the tasks keep failing: ${lastTaskError(tasks) ?? 'no error reported'}`,
      };
  }
  const settled = (created || state === 'completed') && running >= expected && current.every((t) => t.image === image);
  return { done: settled, running, expected };
}

export const waitConverged: Step = {
  title: (state) => `Waiting until every task runs ${state.imageRef} and is healthy`,
  exitCode: EXIT.startFailed,
  async run(state) {
    const swarm = need(state.swarm, 'swarm');
    const created = !swarm.service;
    const nodes = await swarm.engine.nodes();
    swarm.nodes = nodes;
    const reachable = new Set(eligible(nodes).map((n) => n.id));
    const expected = state.options.swarm?.replicas ?? reachable.size;
    const perTask = state.options.healthTimeout + ROLLOUT.monitorSeconds + ROLLOUT.delaySeconds + 10;
    const timeoutMs = perTask * Math.max(1, expected) * 1000;
    const image = need(state.imageRef, 'image');
    const since = swarm.updateStartedAt ?? '';
    let last: Progress = { done: false, running: 0, expected };
    let tasks: TaskView[] = [];
    const result = await poll(
      async () => {
        const service = await swarm.engine.service(SERVICE);
        if (!service)
          throw new InstallError(
            EXIT.startFailed,
            `the service ${SERVICE} disappeared`,
            'someone removed it meanwhile; run the installer again',
          );
        tasks = await swarm.engine.tasks(SERVICE);
        last = judgeRollout(service, tasks, expected, image, created, since, reachable);
        return last.done ? last : undefined;
      },
      { timeoutMs, signal: state.signal, delayMs: 1000 },
    );
    if (!result) {
      throw new InstallError(
        EXIT.startFailed,
        `the service did not converge within ${Math.round(timeoutMs / 1000)} s (${last.running} of ${expected} tasks running ${image})${lastTaskError(tasks) ? `: ${lastTaskError(tasks)}` : ''}`,
        `see: docker service ps ${SERVICE} --no-trunc`,
      );
    }
    if (result.failure)
      throw new InstallError(
        EXIT.startFailed,
        result.failure,
        `the previous version keeps serving; see: docker service ps ${SERVICE} --no-trunc`,
      );
    swarm.converged = {
      tasks: result.running,
      nodes: new Set(tasks.filter((t) => t.desired === 'running' && t.state === 'running').map((t) => t.nodeId)).size,
    };
    return `${result.running} task${result.running === 1 ? '' : 's'} running and healthy`;
  },
};
