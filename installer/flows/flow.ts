// Flows as data. A flow is a list of items the runner (run-flow.ts) walks: steps grouped in
// named phases, values derived without a progress line, one gate between looking and changing,
// a branch where an earlier step's finding picks the rest, and the report that ends each path.
// The builder types the values as they accumulate: a step that needs something no earlier step
// produced does not compile.
import type { Summary } from '../command/summary.ts';
import type { Output } from '../command/progress.ts';
import type { Engine } from '../engine/engine.ts';
import type { AnyStep } from './run-steps.ts';
import type { Run, Step } from './step.ts';

/** What every flow starts with: the runner's first step checked the host and connected the engine. */
export interface HostChecked {
  engine: Engine;
}

/** How a path ended: it ran to the end, or the gate found nothing to change. */
export type Outcome = 'applied' | 'unchanged';

/**
 * The line between looking and changing. Before it, steps only read (and may unpack into the
 * work folder, which they undo); after it, steps change the host. The runner prints the plan,
 * asks, and stops here for a cancel, an unchanged installation or --dry-run.
 */
export interface Gate<In> {
  /** What this run will do, one line each: the plan the operator confirms. */
  plan?: (run: Run, input: In) => string[];
  /** Ask "Proceed?" on a terminal (not with --yes, --dry-run, or when nothing would change). */
  confirm?: boolean;
  /** When nothing would change: the line that says so; the path then goes straight to its report. */
  unchanged?: (run: Run, input: In) => string | undefined;
}

export type Report<In> = (run: Run, input: In, outcome: Outcome, out: Output) => Promise<Summary> | Summary;

export type FlowItem =
  | { kind: 'step'; phase: string; step: AnyStep }
  | { kind: 'derive'; derive: (run: Run, input: never) => object }
  | { kind: 'gate'; gate: Gate<never> }
  | {
      kind: 'branch';
      choose: (run: Run, input: never) => Promise<{ path: string; value?: object }>;
      /** The first path is the one counted until the choice is made. */
      paths: Array<{ name: string; items: readonly FlowItem[] }>;
    }
  | { kind: 'report'; report: Report<never> };

export interface Flow {
  name: string;
  items: readonly FlowItem[];
}

/** Builds a flow; each call returns a new builder, so a shared prefix can be continued twice. */
export class FlowBuilder<S> {
  constructor(
    private readonly name: string,
    private readonly items: readonly FlowItem[] = [],
    private readonly currentPhase = '',
  ) {}

  private with<Next>(item: FlowItem): FlowBuilder<Next> {
    return new FlowBuilder<Next>(this.name, [...this.items, item], this.currentPhase);
  }

  /** The steps that follow belong to this phase (named in the log). */
  phase(name: string): FlowBuilder<S> {
    return new FlowBuilder<S>(this.name, this.items, name);
  }

  step<Out extends object>(step: Step<S, Out>): FlowBuilder<S & Out> {
    return this.with({ kind: 'step', phase: this.currentPhase, step: step as unknown as AnyStep });
  }

  /** Values that follow from earlier ones, without a progress line. */
  derive<Out extends object>(derive: (run: Run, input: S) => Out): FlowBuilder<S & Out> {
    return this.with({ kind: 'derive', derive: derive as (run: Run, input: never) => object });
  }

  gate(gate: Gate<S>): FlowBuilder<S> {
    return this.with({ kind: 'gate', gate: gate as Gate<never> });
  }

  /** `choose` picks a path by name (its value joins the path's input); each path ends with its report. */
  branch<Path extends string, Value extends object = Record<never, never>>(
    choose: (run: Run, input: S) => Promise<{ path: Path; value?: Value }>,
    paths: { [P in Path]: (flow: FlowBuilder<S & Partial<Value>>) => Flow },
  ): Flow {
    const built = (Object.entries(paths) as Array<[string, (flow: FlowBuilder<S & Partial<Value>>) => Flow]>).map(
      ([name, build]) => ({
        name,
        items: build(new FlowBuilder(`${this.name} (${name})`, [], this.currentPhase)).items,
      }),
    );
    const branch: FlowItem = {
      kind: 'branch',
      choose: choose as (run: Run, input: never) => Promise<{ path: string; value?: object }>,
      paths: built,
    };
    return { name: this.name, items: [...this.items, branch] };
  }

  report(report: Report<S>): Flow {
    return { name: this.name, items: [...this.items, { kind: 'report', report: report as Report<never> }] };
  }
}

export function flow(name: string): FlowBuilder<HostChecked> {
  return new FlowBuilder<HostChecked>(name);
}

/** How many progress lines the items will show, taking each branch's first path. */
export function countSteps(items: readonly FlowItem[], options: Run['options']): number {
  let count = 0;
  for (const item of items) {
    if (item.kind === 'step' && (!item.step.when || item.step.when(options))) count++;
    if (item.kind === 'branch') return count + countSteps(item.paths[0]?.items ?? [], options);
  }
  return count;
}
