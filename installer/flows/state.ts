// What the steps share while one install runs. Each step reads what earlier steps found and
// adds its own result; nothing here is global.
import type { InstallContext } from '../context.ts';
import type { Options } from '../command/args.ts';
import type { Engine } from '../engine/engine.ts';
import type { ContainerState } from '../engine/containers.ts';
import type { Progress } from '../command/progress.ts';
import type { Logger } from '../command/log.ts';
import type { Prompter } from '../command/prompts.ts';
import type { Manifest } from '../archive/read-archive.ts';
import type { ExitCode } from '../command/exit-codes.ts';
import type { SwarmRun } from './swarm-state.ts';
import type { HttpsSetup } from '../https/https-setup.ts';
import type { ConfigChange } from '../config/config-change.ts';

export type Action = 'install' | 'upgrade' | 'reconfigure' | 'reinstall' | 'unchanged' | 'uninstall';

export interface RunState {
  ctx: InstallContext;
  options: Options;
  log: Logger;
  progress: Progress;
  prompter: Prompter;
  signal: AbortSignal;
  started: number;
  engine?: Engine;
  archivePath?: string;
  archiveSha?: string;
  manifest?: Manifest;
  /** Dockerfile, .env.example, provider-config.yaml as read from the archive. */
  texts?: Map<string, string>;
  /** Set when the verify pass already unpacked the archive into the work folder (a summary). */
  extracted?: string;
  /** The Dockerfile with the chosen port. */
  dockerfile?: string;
  existing?: ContainerState;
  port?: number;
  bind?: string;
  config?: ConfigChange;
  /** HTTPS (issue #9): mode, checked files, container ports; set by the plan step. */
  tls?: HttpsSetup;
  specHash?: string;
  action?: Action;
  imageRef?: string;
  imageId?: string;
  containerId?: string;
  /** Image id the replaced container ran: kept as "the previous image". */
  previousImageId?: string;
  /** Swarm mode (--swarm, or --uninstall on a manager): installer/swarm/. */
  swarm?: SwarmRun;
  notes: string[];
}

export interface UndoAction {
  label: string;
  /** 'last' actions run after every other undo (e.g. restart the old container once its config is back). */
  phase?: 'last';
  run(): Promise<void> | void;
}

export interface Step {
  title: string | ((state: RunState) => string);
  /** Exit code for a failure of this step that is not already an InstallError. */
  exitCode: ExitCode;
  /** The point of no return: the undo stack is dropped before this step runs. */
  commits?: boolean;
  run(state: RunState, undo: (action: UndoAction) => void): Promise<string | void>;
}

export function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`internal: ${what} is not known yet`);
  return value;
}
