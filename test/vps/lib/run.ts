// Runs a host command and collects its exit code and output. The harness drives Docker through
// the docker CLI (not dockerode) so that every step a scenario takes is the command an operator
// or a CI log reader would recognise, and can be pasted into a shell to reproduce a failure.
import { spawn } from 'node:child_process';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved in arrival order, for failure messages */
  output: string;
  ms: number;
}

export interface RunOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let output = '';
    let timedOut = false;
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, opts.timeoutMs)
      : undefined;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      output += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      output += d;
    });
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(new Error(`cannot start ${cmd}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (timedOut) {
        reject(
          new Error(
            `${cmd} ${args.join(' ')} did not finish within ${opts.timeoutMs} ms; output:\n${output.slice(-4000)}`,
          ),
        );
        return;
      }
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, output, ms: Date.now() - started });
    });
    child.stdin.on('error', () => {
      /* the child may exit before reading its input; its exit code tells the story */
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Like run(), but a non-zero exit is an error carrying the command and its output. */
export async function runOk(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}:\n${r.output.slice(-4000)}`);
  }
  return r;
}

export const docker = (args: readonly string[], opts?: RunOptions) => run('docker', args, opts);
export const dockerOk = (args: readonly string[], opts?: RunOptions) => runOk('docker', args, opts);
