// The installer's exit codes, defined once: `--help`, docs/exit-codes.md and the tests all read
// this table, and installer.sh's `--help` embeds the text printed from it at release time.
export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  notRoot: 3,
  missingDependency: 4,
  engineUnavailable: 5,
  archiveMissing: 6,
  archiveCorrupt: 7,
  invalidPort: 8,
  portInUse: 9,
  extractFailed: 10,
  configFailed: 11,
  buildFailed: 12,
  startFailed: 13,
  interrupted: 130,
} as const;

export type ExitName = keyof typeof EXIT;
export type ExitCode = (typeof EXIT)[ExitName];

export const EXIT_MEANINGS: ReadonlyArray<{ code: ExitCode; meaning: string }> = [
  { code: EXIT.ok, meaning: 'success (installed, upgraded, reconfigured, unchanged or uninstalled)' },
  { code: EXIT.internal, meaning: 'unexpected internal error (the message points to the log)' },
  {
    code: EXIT.usage,
    meaning:
      'invalid usage: unknown flag or bad option value; Swarm: a join token the manager refused, --swarm init on a worker, leaving as a manager without --force',
  },
  { code: EXIT.notRoot, meaning: 'not running as root' },
  {
    code: EXIT.missingDependency,
    meaning: 'missing dependency: no Docker engine installed, unsupported OS or CPU arch, no exec-capable temp dir',
  },
  {
    code: EXIT.engineUnavailable,
    meaning: 'Docker engine not reachable, not running, or API too old; Swarm: the manager unreachable',
  },
  { code: EXIT.archiveMissing, meaning: 'release archive missing or unreadable' },
  { code: EXIT.archiveCorrupt, meaning: 'release archive corrupt: checksum, structure, unsafe entries, missing files' },
  { code: EXIT.invalidPort, meaning: 'invalid port' },
  {
    code: EXIT.portInUse,
    meaning: 'port already in use (--swarm init: also a single-VPS ai-proxy container on this host)',
  },
  { code: EXIT.extractFailed, meaning: 'extraction into /tmp/ai-proxy failed' },
  {
    code: EXIT.configFailed,
    meaning:
      'configuration failed: /srv/ai-proxy, .env, provider-config.yaml or Dockerfile update; a host group or account already has the container gid 1001; the systemd boot unit could not be installed',
  },
  { code: EXIT.buildFailed, meaning: 'image build failed; Swarm: the image is missing on a node' },
  {
    code: EXIT.startFailed,
    meaning:
      'container start or health check failed (previous version restored); Swarm: the service did not converge or Swarm rolled the update back',
  },
  { code: EXIT.interrupted, meaning: 'interrupted (SIGINT, SIGTERM or SIGHUP); changes rolled back' },
];

export function exitMeaning(code: number): string {
  return EXIT_MEANINGS.find((row) => row.code === code)?.meaning ?? 'unknown exit code';
}

/** The table as aligned plain text, for `--help`. */
export function exitCodeTable(): string {
  return EXIT_MEANINGS.map((row) => `  ${String(row.code).padStart(3)}  ${row.meaning}`).join('\n');
}

/** The table as Markdown, for docs/exit-codes.md (a test checks the doc matches). */
export function exitCodeMarkdown(): string {
  return ['| code | meaning |', '|---|---|', ...EXIT_MEANINGS.map((row) => `| ${row.code} | ${row.meaning} |`)].join(
    '\n',
  );
}
