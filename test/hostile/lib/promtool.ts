// Prometheus's own checker (Debian package `prometheus`): parses the exposition text as a
// scrape would and lints it. Exit 0 is the only pass: 1 is a parse error, 3 a lint problem.
import { spawn } from 'node:child_process';

export function promtoolCheck(text: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ ok: code === 0, output: output.trim() }));
    child.stdin.on('error', () => {}); // promtool may stop reading at the first parse error
    child.stdin.end(text);
  });
}
