// A signal to the installer at a chosen step: the installer is started in the background inside
// the VPS, a shell loop there watches the installer log for the step (or any condition) and
// signals the launcher and the installer the moment it appears, as a terminal's Ctrl-C signals
// the whole foreground group. After SIGKILL nothing runs on exit: whatever the step left behind
// is what the next run has to cope with.
import type { Vps } from './vps.ts';
import { LOG_FILE } from './installed.ts';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface SignalResult {
  /** the last step line the installer logged before it died */
  lastStep: string;
  /** the launcher's exit status as its caller saw it (137 = killed) */
  code: number;
  /** what the launcher and installer printed */
  output: string;
}

/**
 * Runs `sh ./installer.sh ARGS` in DIR and sends `signal` once `condition` (a shell test) holds.
 * `$NEW_LOG` in the condition expands to the installer log lines written by this run only.
 */
export function signalWhen(
  vps: Vps,
  args: string[],
  condition: string,
  signal: 'KILL' | 'INT' = 'KILL',
  dir = '/tmp',
): Promise<SignalResult> {
  const kill = `pkill -${signal} -f '^/[^ ]*/ai-proxy install'; pkill -${signal} -f '^sh \\./installer\\.sh'`;
  return actWhen(vps, args, condition, kill, dir);
}

/**
 * Runs `sh ./installer.sh ARGS` in DIR and runs `action` (a shell command in the VPS) once
 * `condition` holds: a signal, or a change to the host while the installer is in a given step.
 */
export async function actWhen(
  vps: Vps,
  args: string[],
  condition: string,
  action: string,
  dir = '/tmp',
): Promise<SignalResult> {
  const offset = Number((await vps.execOk(`stat -c %s ${LOG_FILE} 2>/dev/null || echo 0`)).stdout.trim());
  const newLog = `tail -c +${offset + 1} ${LOG_FILE} 2>/dev/null`;
  // Through a script file, so pkill -f matches the launcher and the installer and never the
  // watcher (whose command line contains the same words). Started with `docker exec -d`, not
  // `&`: a shell's background jobs ignore SIGINT, and an ignored signal cannot be trapped.
  await vps.execOk(`cat > /root/bg.sh; rm -f /root/bg.rc /root/bg.out`, {
    input: `cd ${quote(dir)} && sh ./installer.sh ${args.map(quote).join(' ')} >/root/bg.out 2>&1\necho $? >/root/bg.rc\n`,
  });
  await vps.execDetached('sh /root/bg.sh');
  const watch = [
    `i=0`,
    `until NEW_LOG=$(${newLog}); ${condition}; do`,
    `  if [ -e /root/bg.rc ]; then echo "the installer ended (exit $(cat /root/bg.rc)) before the signal point" >&2; cat /root/bg.out >&2; exit 1; fi`,
    `  i=$((i + 1)); if [ $i -gt 3000 ]; then echo 'the signal point was not reached within 150 s' >&2; exit 1; fi`,
    `  sleep 0.05`,
    `done`,
    action,
    // a rollback may restart and health-check the old container: allow for it
    `i=0; while [ ! -e /root/bg.rc ]; do i=$((i + 1)); if [ $i -gt 4000 ]; then echo 'the installer did not end within 200 s of the signal' >&2; exit 1; fi; sleep 0.05; done`,
  ].join('\n');
  const r = await vps.exec(watch, { timeoutMs: 400_000 });
  if (r.code !== 0) throw new Error(`acting on the installer at \`${condition}\` failed: ${r.output}`);
  const steps = (await vps.exec(`${newLog} | grep -o 'step \\[[0-9]*/[0-9]*\\] .*' | tail -n 1`)).stdout.trim();
  return {
    lastStep: steps,
    code: Number((await vps.readFile('/root/bg.rc')).trim()),
    output: await vps.readFile('/root/bg.out'),
  };
}

/** A condition for signalWhen: the installer logged the start of the step whose title matches. */
export const atStep = (title: string) => `printf '%s' "$NEW_LOG" | grep -q 'step \\[[0-9]*/[0-9]*\\] ${title}'`;
