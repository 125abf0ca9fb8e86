// The Swarm manager's port: --port, else the service's, else the installed .env's, else the
// default. Never asked for: the service publishes it in host mode on every node, and only this
// node can be checked from here (a node where it is taken fails its task, which the rollout reports).
import { DEFAULT_PORT } from '../../src/contract/variables.ts';
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';
import { installedPort } from '../config-files/installed.ts';
import type { Engine } from '../engine/engine.ts';
import { SERVICE } from '../engine/stack.ts';
import type { ServiceView } from '../engine/swarm.ts';
import type { Step } from '../flows/step.ts';
import { portProblem } from '../host/ports.ts';

export function servicePort(service: ServiceView | undefined): number | undefined {
  return service?.spec.EndpointSpec?.Ports?.[0]?.PublishedPort;
}

export const swarmPort: Step<{ engine: Engine; service?: ServiceView }, { port: number; bind: string }> = {
  title: 'Choosing the port',
  exitCode: EXIT.portInUse,
  run: async (run, _undo, { engine, service }) => {
    const current = servicePort(service);
    const port = run.options.port ?? current ?? installedPort(run.ctx.paths.configDir) ?? DEFAULT_PORT;
    const bind = '0.0.0.0';
    const chosen = (detail: string) => ({ detail, value: { port, bind } });
    if (port === current) return chosen(`port ${port} (the service's)`);
    const problem = await portProblem(
      engine,
      port,
      bind,
      { reuse: () => false, ours: (container) => container.startsWith(`${SERVICE}.`) },
      'this node',
    );
    if (problem)
      throw new InstallError(
        EXIT.portInUse,
        problem.message,
        problem.by === 'container'
          ? 'choose another with --port N'
          : 'choose another with --port N, or stop what uses it (see: ss -ltnp)',
      );
    return chosen(`port ${port} in host mode on every node${current ? ` (was ${current})` : ''}`);
  },
};
