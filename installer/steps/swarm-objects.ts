// Secrets and the provider config, named by content. An object that already exists under its
// name is the same content and is reused; new ones are removed again on rollback. After a
// successful update the ones no longer referenced are removed; after a rollback they stay,
// because the restored tasks use them.
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { engineMessage } from '../engine/calls.ts';
import { LABELS, STACK, STACK_LABEL, staleObjects } from '../engine/stack.ts';
import type { Step } from '../flows/state.ts';
import { need } from '../flows/state.ts';

const STACK_FILTER = `${STACK_LABEL}=${STACK}`;
const KINDS = ['secret', 'config'] as const;

export const createObjects: Step = {
  title: 'Storing the token and provider keys as Docker secrets, provider-config.yaml as a config',
  exitCode: EXIT.configFailed,
  async run(state, undo) {
    const swarm = need(state.swarm, 'swarm');
    const plan = need(swarm.plan, 'swarm plan');
    const ids = new Map<string, string>();
    const created: string[] = [];
    try {
      const wanted = [
        ...plan.secrets.map((secret) => ({
          kind: 'secret' as const,
          name: secret.name,
          content: secret.content,
          what: secret.variable,
          labels: { [STACK_LABEL]: STACK, [LABELS.variable]: secret.variable },
        })),
        {
          kind: 'config' as const,
          name: plan.provider.name,
          content: plan.provider.content,
          what: 'provider-config.yaml',
          labels: { [STACK_LABEL]: STACK },
        },
      ];
      for (const kind of KINDS) {
        const existing = new Map((await swarm.engine.objects(kind, STACK_FILTER)).map((o) => [o.name, o.id]));
        for (const object of wanted.filter((o) => o.kind === kind)) {
          let id = existing.get(object.name);
          if (!id) {
            const made = await swarm.engine.createObject(kind, object.name, object.content, object.labels);
            undo({
              label: `remove the ${kind} ${object.name}`,
              run: async () => void (await swarm.engine.removeObject(kind, made)),
            });
            created.push(object.what);
            id = made;
          }
          ids.set(object.name, id);
        }
      }
    } catch (error) {
      if (state.signal.aborted) throw error;
      throw new InstallError(
        EXIT.configFailed,
        `could not create the swarm secrets and config: ${engineMessage(error)}`,
        `see ${state.log.path}`,
      );
    }
    swarm.ids = ids;
    return created.length ? `new: ${created.join(', ')}` : 'all unchanged (reused by content hash)';
  },
};

export const removeStaleObjects: Step = {
  title: 'Removing secrets and configs the service no longer uses',
  exitCode: EXIT.internal,
  // The update converged: from here on nothing is rolled back.
  commits: true,
  async run(state) {
    const swarm = need(state.swarm, 'swarm');
    const plan = need(swarm.plan, 'swarm plan');
    const wanted = [...plan.secrets.map((s) => s.name), plan.provider.name];
    let removed = 0;
    let kept = 0;
    try {
      for (const kind of KINDS) {
        for (const object of await swarm.engine.objects(kind, STACK_FILTER)) {
          if (!staleObjects([object.name], wanted).length) continue;
          if (await swarm.engine.removeObject(kind, object.id)) removed++;
          else kept++;
        }
      }
    } catch (error) {
      // The service runs; a leftover secret is untidy, not broken: say so and finish.
      state.progress.warn(`could not remove old secrets/configs: ${engineMessage(error)}`);
      return 'left some behind (see the warning)';
    }
    return `${removed} removed${kept ? `, ${kept} still in use kept` : ''}`;
  },
};

/** --uninstall --purge on a manager: every secret and config of the stack. */
export async function purgeObjects(state: Parameters<Step['run']>[0]): Promise<string> {
  const swarm = need(state.swarm, 'swarm');
  let removed = 0;
  for (const kind of KINDS) {
    for (const object of await swarm.engine.objects(kind, STACK_FILTER)) {
      if (object.name.startsWith('ai-proxy-') && (await swarm.engine.removeObject(kind, object.id))) removed++;
    }
  }
  return `${removed} secret${removed === 1 ? '' : 's'} and configs removed`;
}
