// SIGKILL of the installer at a chosen step: the installer is started in the background inside
// the VPS, a shell loop there watches the installer log for the step (or any condition) and
// kills the launcher and the installer the moment it appears. Nothing runs on exit after
// SIGKILL: whatever the step left behind is what the next run has to cope with.
import type { Vps } from './vps.ts';
import { LOG_FILE } from './installed.ts';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface KillResult {
  /** the last step line the installer logged before it died */
  lastStep: string;
  /** what the background run recorded as its exit status (137 = killed) */
  status: number;
}

/**
 * Runs `sh ./installer.sh ARGS` in DIR and SIGKILLs it once `condition` (a shell test) holds.
 * `$NEW_LOG` in the condition expands to the installer log lines written by this run only.
 */
export async function killWhen(vps: Vps, args: string[], condition: string, dir = '/tmp'): Promise<KillResult> {
  const offset = Number((await vps.execOk(`stat -c %s ${LOG_FILE} 2>/dev/null || echo 0`)).stdout.trim());
  const newLog = `tail -c +${offset + 1} ${LOG_FILE} 2>/dev/null`;
  // through a script file: pkill -f must match the launcher and the installer, never this
  // job's own shell or the watcher (their command lines would contain the same words)
  await vps.execOk(`cat > /root/bg.sh; rm -f /root/bg.rc; nohup sh /root/bg.sh </dev/null >/dev/null 2>&1 &`, {
    input: `cd ${quote(dir)} && sh ./installer.sh ${args.map(quote).join(' ')} >/root/bg.out 2>&1\necho $? >/root/bg.rc\n`,
  });
  const watch = [
    `i=0`,
    `until NEW_LOG=$(${newLog}); ${condition}; do`,
    `  if [ -e /root/bg.rc ]; then echo "the installer ended (exit $(cat /root/bg.rc)) before the kill point" >&2; cat /root/bg.out >&2; exit 1; fi`,
    `  i=$((i + 1)); if [ $i -gt 3000 ]; then echo 'the kill point was not reached within 150 s' >&2; exit 1; fi`,
    `  sleep 0.05`,
    `done`,
    `pkill -KILL -f '^/[^ ]*/ai-proxy install'; pkill -KILL -f '^sh \\./installer\\.sh'`,
    `while [ ! -e /root/bg.rc ]; do sleep 0.05; done`,
  ].join('\n');
  const r = await vps.exec(watch, { timeoutMs: 200_000 });
  if (r.code !== 0) throw new Error(`killing the installer at \`${condition}\` failed: ${r.output}`);
  const steps = (await vps.exec(`${newLog} | grep -o 'step \\[[0-9]*/[0-9]*\\] .*' | tail -n 1`)).stdout.trim();
  return { lastStep: steps, status: Number((await vps.readFile('/root/bg.rc')).trim()) };
}

/** A condition for killWhen: the installer logged the start of the step whose title matches. */
export const atStep = (title: string) => `printf '%s' "$NEW_LOG" | grep -q 'step \\[[0-9]*/[0-9]*\\] ${title}'`;
