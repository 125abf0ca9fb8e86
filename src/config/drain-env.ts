// What SIGTERM does: DRAIN_TIMEOUT and DRAIN_DELAY (docs/configuration.md#draining).
import { seconds } from './env-values.ts';
import { DRAIN_TIMEOUT_VAR } from '../contract/variables.ts';

/** What SIGTERM does (docs/configuration.md#draining). */
export interface DrainEnv {
  /** DRAIN_TIMEOUT: the longest requests and streams may still run after SIGTERM, in seconds */
  timeoutSeconds: number;
  /** DRAIN_DELAY: how long the port stays open after SIGTERM while readiness says no, in seconds */
  delaySeconds: number;
}

/** Long enough for a long answer of a reasoning model or an agent's tool loop. */
export const DEFAULT_DRAIN_TIMEOUT_S = 600;
export const MAX_DRAIN_TIMEOUT_S = 24 * 3600;
export const MAX_DRAIN_DELAY_S = 300;

/** DRAIN_TIMEOUT (default 600) and DRAIN_DELAY (default 0), whole seconds. */
export function validateDrainEnv(record: Record<string, string | undefined>): DrainEnv {
  return {
    timeoutSeconds: seconds(record, DRAIN_TIMEOUT_VAR, DEFAULT_DRAIN_TIMEOUT_S, MAX_DRAIN_TIMEOUT_S),
    delaySeconds: seconds(record, 'DRAIN_DELAY', 0, MAX_DRAIN_DELAY_S),
  };
}
