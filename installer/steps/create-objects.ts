// Secrets and the provider config, named by content. An object that already exists under its
// name is the same content and is reused; new ones are removed again on rollback.
import { PROVIDER_FILE } from '../../src/contract/container.ts';
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import type { SwarmConfig } from '../config-files/swarm-config.ts';
import { engineMessage } from '../engine/calls.ts';
import type { Engine } from '../engine/engine.ts';
import { LABELS, OBJECT_KINDS, STACK, STACK_FILTER, STACK_LABEL } from '../engine/stack.ts';
import type { Step } from '../flows/step.ts';

export const createObjects: Step<{ engine: Engine; swarmConfig: SwarmConfig }, { objectIds: Map<string, string> }> = {
  title: 'Storing the token and provider keys as Docker secrets, provider-config.yaml as a config',
  exitCode: EXIT.configFailed,
  run: async (run, undo, { engine, swarmConfig }) => {
    const { swarm } = engine;
    const ids = new Map<string, string>();
    const created: string[] = [];
    try {
      const wanted = [
        ...swarmConfig.secrets.map((secret) => ({
          kind: 'secret' as const,
          name: secret.name,
          content: secret.content,
          what: secret.variable,
          labels: { [STACK_LABEL]: STACK, [LABELS.variable]: secret.variable },
        })),
        {
          kind: 'config' as const,
          name: swarmConfig.provider.name,
          content: swarmConfig.provider.content,
          what: PROVIDER_FILE,
          labels: { [STACK_LABEL]: STACK },
        },
      ];
      for (const kind of OBJECT_KINDS) {
        const existing = new Map((await swarm.objects(kind, STACK_FILTER)).map((o) => [o.name, o.id]));
        for (const object of wanted.filter((o) => o.kind === kind)) {
          let id = existing.get(object.name);
          if (!id) {
            const made = await swarm.createObject(kind, object.name, object.content, object.labels);
            undo({
              label: `remove the ${kind} ${object.name}`,
              run: async () => void (await swarm.removeObject(kind, made)),
            });
            created.push(object.what);
            id = made;
          }
          ids.set(object.name, id);
        }
      }
    } catch (error) {
      if (run.signal.aborted) throw error;
      throw new InstallError(
        EXIT.configFailed,
        `could not create the swarm secrets and config: ${engineMessage(error)}`,
        `see ${run.log.path}`,
      );
    }
    return {
      detail: created.length ? `new: ${created.join(', ')}` : 'all unchanged (reused by content hash)',
      value: { objectIds: ids },
    };
  },
};
