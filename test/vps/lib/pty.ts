// Drives an interactive program inside a VPS through a real pseudo-terminal, without node-pty:
// util-linux `script` (in every Debian base system) allocates the pty inside the VPS and relays
// our pipe to it, so the program sees isatty(0) and a terminal size, exactly as over ssh.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export class PtySession {
  private buffer = '';
  private exit: Promise<number>;
  private child: ChildProcessWithoutNullStreams;

  constructor(container: string, command: string, opts: { cols?: number; rows?: number } = {}) {
    // stty first: a pty made from a pipe starts with 0x0, and prompt libraries wrap on columns
    const inner = `stty cols ${opts.cols ?? 100} rows ${opts.rows ?? 30}; ${command}`;
    this.child = spawn('docker', ['exec', '-i', container, 'script', '-qfec', inner, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout.on('data', (d: Buffer) => (this.buffer += d.toString()));
    this.child.stderr.on('data', (d: Buffer) => (this.buffer += d.toString()));
    this.exit = new Promise((resolve) => this.child.on('close', (code) => resolve(code ?? 1)));
  }

  /** Everything the terminal showed so far, with colour and cursor sequences removed. */
  get screen(): string {
    // eslint-disable-next-line no-control-regex
    return this.buffer.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
  }

  /** Waits until the screen (after `from` characters) matches, and returns the index after the match. */
  async expect(pattern: RegExp, timeoutMs = 60_000, from = 0): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen;
      const m = pattern.exec(screen.slice(from));
      if (m) return from + m.index + m[0].length;
      if (Date.now() > deadline) {
        throw new Error(
          `the terminal never showed ${pattern} within ${timeoutMs / 1000} s; it shows:\n${screen.slice(-3000)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Types text as a user would (a carriage return is Enter on a terminal). */
  type(text: string): void {
    this.child.stdin.write(text);
  }

  async wait(timeoutMs = 300_000): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<number>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(
          new Error(
            `the interactive program did not exit within ${timeoutMs / 1000} s; screen:\n${this.screen.slice(-3000)}`,
          ),
        );
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exit, timeout]);
    } finally {
      if (timer) clearTimeout(timer);
      this.child.stdin.end();
    }
  }
}
