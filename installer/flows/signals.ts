// SIGINT, SIGTERM and SIGHUP (a closed SSH session) become one abort of the run: steps stop
// waiting, the runner rolls back and the installer exits 130.

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export class Interrupted extends Error {
  constructor(readonly signalName: string) {
    super(`interrupted by ${signalName}`);
  }
}

export interface SignalGuard {
  controller: AbortController;
  /** The signal that arrived, if any. */
  received(): string | undefined;
  dispose(): void;
}

/** Turns the first signal into an abort; later ones are ignored while rollback runs. */
export function guardSignals(onSignal: (name: string) => void): SignalGuard {
  const controller = new AbortController();
  let received: string | undefined;
  const handler = (name: NodeJS.Signals) => {
    if (received) {
      onSignal(`${name} again: still rolling back, please wait`);
      return;
    }
    received = name;
    onSignal(`${name} received: stopping and rolling back`);
    controller.abort(new Interrupted(name));
  };
  for (const signal of SIGNALS) process.on(signal, handler);
  return {
    controller,
    received: () => received,
    dispose: () => {
      for (const signal of SIGNALS) process.off(signal, handler);
    },
  };
}
