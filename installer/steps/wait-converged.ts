// Wait until Swarm says the service converged. A task with a health check is "running" only once
// it is healthy, so counting running tasks of the new spec is the health gate; during an update
// Swarm itself watches each task (UpdateConfig) and rolls back on a failure, which is read back
// here and turned into exit 13 with the task's error.
import type Docker from 'dockerode';
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import type { Engine } from '../engine/engine.ts';
import { poll } from '../engine/poll.ts';
import { ROLLOUT } from '../engine/service-spec.ts';
import { SERVICE } from '../engine/stack.ts';
import type { NodeView, ServiceView, TaskView } from '../engine/swarm.ts';
import type { Step } from '../flows/step.ts';
import { eligible } from './image-check.ts';

/** The newest failed task's error: what an operator needs to know why. */
export function lastTaskError(tasks: TaskView[]): string | undefined {
  const failed = tasks
    .filter((t) => (t.state === 'failed' || t.state === 'rejected') && (t.error || t.message))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  return failed ? `${failed.error || failed.message}` : undefined;
}

export interface RolloutState {
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
): RolloutState {
  // A node that is down keeps its last task "running" in the manager's view: only reachable nodes count.
  const current = tasks.filter((t) => t.desired === 'running' && (!nodes || nodes.has(t.nodeId)));
  const running = current.filter((t) => t.state === 'running' && t.image === image).length;
  // An UpdateStatus older than this run's update belongs to an earlier update.
  const state = created || (service.updateCompletedAt ?? '9') >= since ? service.updateState : 'updating';
  if (state === 'rollback_completed' || state === 'rollback_paused' || state === 'paused') {
    // only this update's tasks: an earlier update's failed task must not be named as the cause
    const mine = tasks.filter((t) => t.createdAt >= since);
    return {
      done: true,
      running,
      expected,
      failure: `Swarm ${state === 'paused' ? 'paused' : 'rolled back'} the update: ${lastTaskError(mine) ?? service.updateMessage ?? 'a task failed'}`,
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

/**
 * Pure: the longest a rolling update may take per node besides the new task's start: the old
 * task's drain (its stop grace period, which covers its streams), the pause before the next
 * node, and Swarm's monitor window.
 */
export function nodeChangeSeconds(spec: Docker.ServiceSpec | undefined): number {
  const ns = 1e9;
  const stop = (spec?.TaskTemplate as { ContainerSpec?: { StopGracePeriod?: number } } | undefined)?.ContainerSpec
    ?.StopGracePeriod;
  const delay = spec?.UpdateConfig?.Delay;
  const monitor = spec?.UpdateConfig?.Monitor;
  return (
    Math.ceil((stop ?? 10 * ns) / ns) +
    Math.ceil((delay ?? ROLLOUT.minDelaySeconds * ns) / ns) +
    Math.ceil((monitor ?? ROLLOUT.monitorSeconds * ns) / ns)
  );
}

interface ConvergeInput {
  engine: Engine;
  imageRef: string;
  replicas?: number;
  service?: ServiceView;
  updateStartedAt?: string;
}

/** What the swarm reported once it converged: how many tasks run, on how many nodes. */
export interface Converged {
  tasks: number;
  nodes: number;
}

export const waitConverged: Step<ConvergeInput, { nodes: NodeView[]; converged: Converged }> = {
  title: (_run, { imageRef }) => `Waiting until every task runs ${imageRef} and is healthy`,
  exitCode: EXIT.startFailed,
  run: async (run, _undo, input) => {
    const { swarm } = input.engine;
    const created = !input.service;
    const nodes = await swarm.nodes();
    const reachable = new Set(eligible(nodes).map((n) => n.id));
    const expected = input.replicas ?? reachable.size;
    const perTask = run.options.healthTimeout + nodeChangeSeconds((await swarm.service(SERVICE))?.spec) + 10;
    const timeoutMs = perTask * Math.max(1, expected) * 1000;
    const image = input.imageRef;
    const since = input.updateStartedAt ?? '';
    let last: RolloutState = { done: false, running: 0, expected };
    let tasks: TaskView[] = [];
    const result = await poll(
      async () => {
        const service = await swarm.service(SERVICE);
        if (!service)
          throw new InstallError(
            EXIT.startFailed,
            `the service ${SERVICE} disappeared`,
            'someone removed it meanwhile; run the installer again',
          );
        tasks = await swarm.tasks(SERVICE);
        last = judgeRollout(service, tasks, expected, image, created, since, reachable);
        return last.done ? last : undefined;
      },
      { timeoutMs, signal: run.signal, delayMs: 1000 },
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
    const converged = {
      tasks: result.running,
      nodes: new Set(tasks.filter((t) => t.desired === 'running' && t.state === 'running').map((t) => t.nodeId)).size,
    };
    return {
      detail: `${result.running} task${result.running === 1 ? '' : 's'} running and healthy`,
      value: { nodes, converged },
    };
  },
};
