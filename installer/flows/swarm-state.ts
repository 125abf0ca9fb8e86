// What the swarm steps share during one run (RunState.swarm).
import type { Swarm, SwarmMembership, NodeView, ServiceView } from '../engine/swarm.ts';
import type { SwarmConfig } from '../config/swarm-config.ts';

export interface SwarmRun {
  engine: Swarm;
  membership: SwarmMembership;
  /** The service before this run (undefined: not deployed yet). */
  service?: ServiceView;
  nodes?: NodeView[];
  plan?: SwarmConfig;
  /** Secret and config ids by name, once they exist. */
  ids?: Map<string, string>;
  /** Names the image check found without the image (exit 12). */
  lacking?: string[];
  /** Set once the swarm reports convergence: what each node runs. */
  converged?: { tasks: number; nodes: number };
  /** Hardening read back from a running task's container: applied and not applied, one line each. */
  hardening?: { applied: string[]; notApplied: string[] };
  /** ISO time just before this run asked for the update. */
  updateStartedAt?: string;
  join?: { manager: string; token: string };
}
