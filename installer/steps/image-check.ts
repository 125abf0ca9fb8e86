// Does every node have ai-proxy:<version>? There is no registry and the Engine API has no
// per-node image listing, so the manager asks the nodes themselves: a short-lived global
// service (restart: none) runs the image's `--version` once per node. A node without the image fails its task
// with "No such image" (after a pull attempt the engine always makes and that fails offline).
import { randomBytes } from 'node:crypto';
import { poll } from '../engine/poll.ts';
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { engineMessage } from '../engine/calls.ts';
import { type NodeView, type TaskView } from '../engine/swarm.ts';
import { imageCheckSpec } from '../engine/service-spec.ts';
import { LABELS } from '../engine/stack.ts';
import type { Engine } from '../engine/engine.ts';
import type { Step } from '../flows/step.ts';

export interface ImageVerdict {
  has: string[];
  lacking: Array<{ node: string; error: string }>;
  /** Down, drained or silent nodes: not asked, or no answer in time. */
  unknown: string[];
}

const FAILED = new Set(['failed', 'rejected']);
const DONE = new Set(['complete', ...FAILED]);

export function eligible(nodes: NodeView[]): NodeView[] {
  return nodes.filter((n) => n.state === 'ready' && n.availability === 'active');
}

/**
 * Pure: the tasks of the check turned into who has the image: any completed task means "has
 * it", else any rejected/failed one means "lacks it" (a global-job would even replace rejected
 * tasks at once, so never judge by the newest task alone).
 */
export function judgeImageTasks(nodes: NodeView[], tasks: TaskView[]): ImageVerdict {
  const verdict: ImageVerdict = { has: [], lacking: [], unknown: [] };
  for (const node of nodes) {
    const mine = tasks.filter((t) => t.nodeId === node.id).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const failed = mine.find((t) => FAILED.has(t.state));
    if (node.state !== 'ready' || node.availability !== 'active') verdict.unknown.push(node.hostname);
    else if (mine.some((t) => t.state === 'complete')) verdict.has.push(node.hostname);
    else if (failed)
      verdict.lacking.push({ node: node.hostname, error: failed.error || failed.message || failed.state });
    else verdict.unknown.push(node.hostname);
  }
  return verdict;
}

/** The check's services and containers are named with this prefix (and a random suffix). */
export const IMAGE_CHECK_PREFIX = 'ai-proxy-image-check-';

export const imageCheck: Step<{ engine: Engine; imageRef: string }, { nodes: NodeView[] }> = {
  title: (_run, { imageRef }) => `Checking that every node has ${imageRef}`,
  exitCode: EXIT.buildFailed,
  run: async (run, _undo, { engine, imageRef: image }) => {
    const { swarm } = engine;
    const nodes = await swarm.nodes();
    const done = (detail: string) => ({ detail, value: { nodes } });
    if (eligible(nodes).length <= 1 && nodes.length <= 1) return done('one node: built here');
    // Leftovers of an interrupted earlier check would only confuse the task list.
    for (const old of await swarm.servicesLabelled(LABELS.imageCheck)) await swarm.removeService(old.id);
    const name = `${IMAGE_CHECK_PREFIX}${randomBytes(3).toString('hex')}`;
    const started = Date.now();
    let verdict: ImageVerdict;
    try {
      await swarm.createService(imageCheckSpec(name, image));
      const wanted = eligible(nodes).map((n) => n.id);
      const timeoutMs = Math.max(20, run.options.healthTimeout) * 1000;
      const tasks = await poll(
        async () => {
          const list = await swarm.tasks(name);
          const finished = wanted.every((id) => list.some((t) => t.nodeId === id && DONE.has(t.state)));
          return finished ? list : undefined;
        },
        { timeoutMs, signal: run.signal },
      );
      verdict = judgeImageTasks(nodes, tasks ?? (await swarm.tasks(name)));
    } catch (error) {
      if (run.signal.aborted) throw error;
      throw new InstallError(
        EXIT.engineUnavailable,
        `could not check the nodes' images: ${engineMessage(error)}`,
        `see ${run.log.path}`,
      );
    } finally {
      await swarm.removeService(name).catch(() => false);
    }
    run.log.line(`image check: ${JSON.stringify(verdict)} in ${Date.now() - started} ms`);
    if (verdict.lacking.length > 0) {
      const lacking = verdict.lacking.map((l) => l.node);
      const first = verdict.lacking[0]!;
      throw new InstallError(
        EXIT.buildFailed,
        `${image} is missing on ${verdict.lacking.length === 1 ? 'node' : 'nodes'} ${lacking.join(', ')} (${first.error.slice(0, 160)})`,
        `nothing was changed; on each of them run sudo ./installer.sh --swarm upgrade to build the image there, then run this again here`,
      );
    }
    const unknown = verdict.unknown.length
      ? `; not checked (down, drained or silent): ${verdict.unknown.join(', ')}`
      : '';
    if (unknown)
      run.progress.warn(
        `nodes ${verdict.unknown.join(', ')} could not be checked: a task placed there later fails if the image is missing`,
      );
    return done(`${verdict.has.length} node${verdict.has.length === 1 ? ' has' : 's have'} it${unknown}`);
  },
};
