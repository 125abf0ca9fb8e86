// The only module that talks to @inquirer/prompts, so the rest of the installer asks questions
// through a small interface and never blocks without a terminal.
import type { ExitCode } from './exit-codes.ts';

export interface Prompter {
  readonly interactive: boolean;
  /** `signal` cancels the question (SIGTERM/SIGHUP while the installer waits for an answer). */
  text(message: string, defaultValue: string, signal?: AbortSignal): Promise<string>;
  confirm(message: string, defaultValue: boolean, signal?: AbortSignal): Promise<boolean>;
}

/** Thrown when the operator presses Ctrl-C inside a prompt (maps to 130). */
export class PromptCancelled extends Error {
  readonly exitCode: ExitCode = 130;
}

export function terminalPrompter(): Prompter {
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const wrap = async <T>(ask: () => Promise<T>): Promise<T> => {
    try {
      return await ask();
    } catch (error) {
      if ((error as Error).name === 'ExitPromptError' || (error as Error).name === 'AbortPromptError')
        throw new PromptCancelled('cancelled at the prompt');
      throw error;
    }
  };
  return {
    interactive,
    async text(message, defaultValue, signal) {
      const { input } = await import('@inquirer/prompts');
      return wrap(() => input({ message, default: defaultValue }, signal ? { signal } : {}));
    },
    async confirm(message, defaultValue, signal) {
      const { confirm } = await import('@inquirer/prompts');
      return wrap(() => confirm({ message, default: defaultValue }, signal ? { signal } : {}));
    },
  };
}

/** Answers every question with its default (no TTY, or tests). */
export function defaultsPrompter(): Prompter {
  return {
    interactive: false,
    text: async (_message, defaultValue) => defaultValue,
    confirm: async (_message, defaultValue) => defaultValue,
  };
}
