// Scenarios as node:test tests: each gets its own VPS (or a group shares one, in order), its
// row in the report table, and the installer's output and log attached when it fails.
import { after, before, describe, test } from 'node:test';
import { record } from './report.ts';
import { Session, type StartOptions } from './session.ts';
import { recipe } from './recipes.ts';

const SCENARIO_TIMEOUT = 10 * 60_000;

/** What a scenario body may return: the exit code to report when it is not the last run's. */
type Body = (s: Session) => Promise<number | void>;

async function withEvidence(s: Session, body: Body): Promise<number | undefined> {
  try {
    const code = await body(s);
    return typeof code === 'number' ? code : s.last?.code;
  } catch (error) {
    const evidence = await s.evidence().catch(() => '');
    if (error instanceof Error) {
      // the reporter prints the stack, which was fixed when the error was made
      error.message += `\n${evidence}`;
      const frames = (error.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l));
      error.stack = [`${error.name}: ${error.message}`, ...frames].join('\n');
    }
    throw error;
  }
}

/** VPS_KEEP=1 leaves a failed scenario's VPS running for a look inside (removed by the next run). */
async function closeOrKeep(session: Session | undefined, ok: boolean): Promise<void> {
  if (!session) return;
  if (!ok && process.env.VPS_KEEP === '1') {
    console.log(`# kept for inspection: docker exec -it ${session.vps.name} bash`);
    return;
  }
  await session.close();
}

const label = (recipeName: string) => `debian ${recipe(recipeName).release} ${recipeName}`;

// read through a function: TypeScript narrows `s.last` after an assignment and forgets awaits
const lastCode = (s: Session | undefined) => s?.last?.code;

let registered = 0;

function row(
  order: number,
  title: string,
  recipeName: string,
  started: number,
  exitCode: number | undefined,
  ok: boolean,
  note?: string,
) {
  record({
    order,
    scenario: title,
    release: `${recipe(recipeName).release} ${recipeName}`,
    exitCode,
    seconds: (Date.now() - started) / 1000,
    status: ok ? 'pass' : 'FAIL',
    ...(note ? { note } : {}),
  });
}

export type ScenarioOptions = Partial<StartOptions>;

// VPS_ONLY=<regex>: register only the scenarios (or groups) whose title, with the release, matches
const only = process.env.VPS_ONLY ? new RegExp(process.env.VPS_ONLY, 'i') : undefined;
const wanted = (title: string, recipeName: string) => !only || only.test(`${title} ${recipeName}`);

/** One scenario on a VPS of its own. */
export function scenario(title: string, recipeName: string, body: Body, opts: ScenarioOptions = {}): void {
  if (!wanted(title, recipeName)) return;
  const order = ++registered;
  test(`${title} [${label(recipeName)}]`, { timeout: SCENARIO_TIMEOUT }, async () => {
    const started = Date.now();
    let session: Session | undefined;
    let code: number | undefined;
    let ok = false;
    try {
      session = await Session.open(recipeName, { name: title, ...opts });
      code = await withEvidence(session, body);
      ok = true;
    } finally {
      code ??= session?.last?.code;
      row(order, title, recipeName, started, code, ok, session?.note);
      await closeOrKeep(session, ok);
    }
  });
}

export interface Case {
  title: string;
  run: Body;
}

/**
 * Several scenarios on one VPS, in order, after a common setup (usually a healthy install).
 * Each case must leave the VPS as it found it (that is what a rollback promises), so they
 * chain; sharing the VPS saves a boot and a first install per case.
 */
export function group(
  title: string,
  recipeName: string,
  setup: Body,
  cases: Case[],
  opts: Partial<StartOptions> = {},
): void {
  if (!wanted(title, recipeName) && !cases.some((c) => wanted(c.title, recipeName))) return;
  if (!wanted(title, recipeName)) cases = cases.filter((c) => wanted(c.title, recipeName));
  const setupOrder = ++registered;
  describe(`${title} [${label(recipeName)}]`, {
    concurrency: 1,
    timeout: SCENARIO_TIMEOUT * (cases.length + 1),
  }, () => {
    let session: Session | undefined;
    before(async () => {
      const started = Date.now();
      let ok = false;
      try {
        session = await Session.open(recipeName, { name: title, ...opts });
        await withEvidence(session, setup);
        ok = true;
      } finally {
        row(setupOrder, `${title}: setup`, recipeName, started, session?.last?.code, ok);
      }
    });
    let allOk = true;
    after(async () => {
      await closeOrKeep(session, allOk);
    });
    for (const c of cases) {
      const order = ++registered;
      test(c.title, { timeout: SCENARIO_TIMEOUT }, async () => {
        const started = Date.now();
        let code: number | undefined;
        let ok = false;
        if (!session) throw new Error(`${title}: the setup did not produce a VPS`);
        session.last = undefined;
        session.note = undefined;
        try {
          code = await withEvidence(session, c.run);
          ok = true;
        } finally {
          allOk &&= ok;
          row(order, c.title, recipeName, started, code ?? lastCode(session), ok, session.note);
        }
      });
    }
  });
}
