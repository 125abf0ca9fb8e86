// Secrets and the provider config, named by content. An object that already exists under its
// name is the same content and is reused; new ones are removed again on rollback. After a
// successful update the ones no longer referenced are removed; after a rollback they stay,
// because the restored tasks use them.
import { EXIT } from '../exit-codes.ts';
import { InstallError } from '../errors.ts';
import { engineMessage } from '../docker-swarm.ts';
import { LABELS, STACK, STACK_LABEL, staleObjects } from './names.ts';
import type { Step } from '../state.ts';
import { need } from '../state.ts';

const STACK_FILTER = `${STACK_LABEL}=${STACK}`;

export const createObjects: Step = {
  title: 'Storing the token and provider keys as Docker secrets, provider-config.yaml as a config',
  exitCode: EXIT.configFailed,
  async run(state, undo) {
    const swarm = need(state.swarm, 'swarm');
    const plan = need(swarm.plan, 'swarm plan');
    const ids = new Map<string, string>();
    const created: string[] = [];
    try {
      const secrets = new Map((await swarm.engine.secrets(STACK_FILTER)).map((s) => [s.name, s.id]));
      for (const secret of plan.secrets) {
        let id = secrets.get(secret.name);
        if (!id) {
          id = await swarm.engine.createSecret(secret.name, secret.content, { [STACK_LABEL]: STACK, [LABELS.variable]: secret.variable });
          const made = id;
          undo({ label: `remove the secret ${secret.name}`, run: async () => void (await swarm.engine.removeSecret(made)) });
          created.push(secret.variable);
        }
        ids.set(secret.name, id);
      }
      const configs = new Map((await swarm.engine.configs(STACK_FILTER)).map((c) => [c.name, c.id]));
      let id = configs.get(plan.provider.name);
      if (!id) {
        id = await swarm.engine.createConfig(plan.provider.name, plan.provider.content, { [STACK_LABEL]: STACK });
        const made = id;
        undo({ label: `remove the config ${plan.provider.name}`, run: async () => void (await swarm.engine.removeConfig(made)) });
        created.push('provider-config.yaml');
      }
      ids.set(plan.provider.name, id);
    } catch (error) {
      if (state.signal.aborted) throw error;
      throw new InstallError(EXIT.configFailed, `could not create the swarm secrets and config: ${engineMessage(error)}`, `see ${state.log.path}`);
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
      for (const secret of await swarm.engine.secrets(STACK_FILTER)) {
        if (!staleObjects([secret.name], wanted).length) continue;
        if (await swarm.engine.removeSecret(secret.id)) removed++;
        else kept++;
      }
      for (const config of await swarm.engine.configs(STACK_FILTER)) {
        if (!staleObjects([config.name], wanted).length) continue;
        if (await swarm.engine.removeConfig(config.id)) removed++;
        else kept++;
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
  for (const secret of await swarm.engine.secrets(STACK_FILTER)) if (secret.name.startsWith('ai-proxy-') && (await swarm.engine.removeSecret(secret.id))) removed++;
  for (const config of await swarm.engine.configs(STACK_FILTER)) if (config.name.startsWith('ai-proxy-') && (await swarm.engine.removeConfig(config.id))) removed++;
  return `${removed} secret${removed === 1 ? '' : 's'} and configs removed`;
}
