// What every benchmark target provides: how to start it against the shared mock upstream,
// where to send chat completions, which processes hold its memory, and how to stop it.
import { createServer } from 'node:net';

export interface BenchContext {
  repoRoot: string;
  /** Node 24 (the release runtime): every Node-based target and helper runs on it. */
  node24: string;
  upstreamPort: number;
  /** A fresh folder for this run's configs and logs. */
  workDir: string;
  /** An ai-proxy executable to run instead of bundling src/ (--proxy-bin). */
  proxyBin?: string;
  /** The release archive (default pkg/ai-proxy-release.tar.gz; --archive). */
  archive: string;
  /** Run the ai-proxy process with --cpu-prof, writing profiles here (--profile). */
  profileDir?: string;
}

export interface RunningTarget {
  /** The chat completions URL. */
  url: string;
  headers: Record<string, string>;
  /** Host pids whose RSS (with descendants) is the target's memory. */
  pids(): number[];
  /** Milliseconds from spawn to the first 2xx on its readiness URL. */
  startMs: number;
  notes: string[];
  /** Figures measured while starting (e.g. the container's image build), in ms or bytes. */
  figures?: Record<string, number>;
  /** Why the target is no longer serving (e.g. "OOM-killed"), if it is not. */
  problem?(): Promise<string | undefined>;
  stop(): Promise<void>;
}

export interface Target {
  name: string;
  /** One line for the table: what runs and how. */
  describe: string;
  start(ctx: BenchContext): Promise<RunningTarget>;
}

/** A target that cannot run here; its reason goes into the table. */
export class TargetUnavailable extends Error {}

/** A free loopback port (bind to 0, close). Good enough for a benchmark on one machine. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export const BENCH_AUTH_TOKEN = 'bench-token-0123456789abcdef0123456789abcdef';
