// Child processes for the benchmark: start with output to a log file, wait until an HTTP
// endpoint answers, stop by pid, and read resident memory from /proc.
import { spawn, type ChildProcess, execFile } from 'node:child_process';
import { openSync, closeSync, readFileSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { promisify } from 'node:util';

export const execFileAsync = promisify(execFile);

export interface Proc {
  child: ChildProcess;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

/** Starts a process whose stdout+stderr go to `logFile`; `stop()` sends SIGTERM, then SIGKILL after 5 s. */
export function startProcess(
  command: string,
  args: string[],
  logFile: string,
  env?: NodeJS.ProcessEnv,
  cwd?: string,
): Proc {
  const fd = openSync(logFile, 'a');
  const child = spawn(command, args, { stdio: ['ignore', fd, fd], env: env ?? process.env, cwd });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${command} (see ${logFile})`);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    child,
    pid: child.pid,
    logFile,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Starts a process that prints `{"port":N}` as its first stdout line (bench/upstream.ts). */
export function startWithPortLine(
  command: string,
  args: string[],
  logFile: string,
): Promise<{ proc: Proc; port: number }> {
  const fd = openSync(logFile, 'a');
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', fd] });
  closeSync(fd);
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(
      () => reject(new Error(`${command} ${args.join(' ')} did not report its port within 10 s (see ${logFile})`)),
      10_000,
    );
    child.stdout?.on('data', (data: Buffer) => {
      buffered += data.toString();
      const line = buffered.split('\n')[0];
      if (!buffered.includes('\n') || line === undefined) return;
      clearTimeout(timer);
      child.stdout?.removeAllListeners('data');
      child.stdout?.resume();
      const proc: Proc = {
        child,
        pid: child.pid ?? 0,
        logFile,
        async stop() {
          if (child.exitCode !== null) return;
          const exited = new Promise((done) => child.once('exit', done));
          child.kill('SIGTERM');
          await exited;
        },
      };
      resolve({ proc, port: (JSON.parse(line) as { port: number }).port });
    });
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code} before listening (see ${logFile})`)));
  });
}

/** One HTTP request; resolves with the status code, or 0 if the connection failed. */
export function httpStatus(
  url: string,
  headers: Record<string, string> = {},
  method = 'GET',
  body?: string,
): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method, headers, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end(body);
  });
}

export interface WaitOptions {
  timeoutMs: number;
  headers?: Record<string, string>;
  /** Stop early when the process behind the URL has died. */
  isAlive?: () => boolean;
  /** Which status means ready; default any 2xx. */
  accept?: (status: number) => boolean;
}

/** Polls `url` until it answers an accepted status; returns the milliseconds waited. */
export async function waitHttp(url: string, options: WaitOptions): Promise<number> {
  const accept = options.accept ?? ((status: number) => status >= 200 && status < 300);
  const start = performance.now();
  for (;;) {
    const status = await httpStatus(url, options.headers);
    if (accept(status)) return performance.now() - start;
    if (options.isAlive && !options.isAlive()) throw new Error(`the process behind ${url} exited before it was ready`);
    if (performance.now() - start > options.timeoutMs) {
      throw new Error(`${url} was not ready within ${options.timeoutMs} ms (last status ${status || 'no connection'})`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

function childrenOf(pid: number): number[] {
  const found: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) found.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // the process is gone
  }
  return found;
}

/**
 * Sums `read(pid)` over `pids` and all their descendants (nginx: master + workers). A process
 * that exits while it is read counts as 0 and its children are not visited.
 */
function sumOverTree(pids: number[], read: (pid: number) => number): number {
  let total = 0;
  const queue = [...pids];
  const seen = new Set<number>();
  while (queue.length > 0) {
    const pid = queue.pop() as number;
    if (seen.has(pid)) continue;
    seen.add(pid);
    try {
      total += read(pid);
    } catch {
      continue;
    }
    queue.push(...childrenOf(pid));
  }
  return total;
}

/** Resident set size in bytes of `pids` and all their descendants. */
export function rssBytes(pids: number[]): number {
  return sumOverTree(pids, (pid) => {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] ? Number(match[1]) * 1024 : 0;
  });
}

// USER_HZ: the unit of utime/stime in /proc/PID/stat; 100 on every Linux this runs on.
const TICKS_PER_SECOND = 100;

/** CPU time (user + system) in microseconds used so far by `pids` and their descendants. */
export function cpuMicros(pids: number[]): number {
  const ticks = sumOverTree(pids, (pid) => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  });
  return (ticks / TICKS_PER_SECOND) * 1e6;
}

/** Samples RSS every `everyMs` until stopped; returns the peak seen. */
export function sampleRss(pids: number[], everyMs = 250): { stop(): number } {
  let peak = rssBytes(pids);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssBytes(pids));
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssBytes(pids));
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Is `command` on PATH? */
export async function hasCommand(command: string): Promise<boolean> {
  try {
    await execFileAsync('sh', ['-c', `command -v ${command}`]);
    return true;
  } catch {
    return false;
  }
}
