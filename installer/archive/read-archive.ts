// Reading the release archive safely. One streaming pass both checks and (optionally) writes:
// every entry is validated before a byte of it lands on disk, every file is hashed while it
// streams, and the manifest's hashes are compared at the end. Only plain files and directories
// with relative, `..`-free paths and bounded sizes are accepted: no links, no devices.
import { chmodSync, createReadStream, createWriteStream, fchmodSync, mkdirSync, openSync, constants } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Parser, type ReadEntry } from 'tar';
import { z } from 'zod';
import { PROVIDER_FILE } from '../../src/contract/container.ts';

export const LIMITS = {
  maxEntries: 20_000,
  maxFileBytes: 512 * 1024 * 1024,
  maxTotalBytes: 1024 * 1024 * 1024,
  maxPathLength: 255,
};

/** Files the installer itself needs from the archive. */
const REQUIRED_FILES = ['ai-proxy', 'Dockerfile', '.env.example', PROVIDER_FILE, 'manifest.json'] as const;

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 in lowercase hex');
const ManifestSchema = z.object({
  name: z.string().min(1),
  version: z.string().regex(/^[0-9A-Za-z][0-9A-Za-z.+_-]{0,127}$/, 'a version usable as an image tag'),
  commit: z.string().optional(),
  arch: z.string().min(1),
  node: z.string().optional(),
  files: z.record(z.string(), Sha256),
});
export type Manifest = z.infer<typeof ManifestSchema>;

/** A problem with the archive's content (exit 7), as opposed to an I/O failure. */
export class ArchiveCorrupt extends Error {}

/** The archive itself could not be read (exit 6); other I/O errors come from writing (exit 10). */
export class ArchiveUnreadable extends Error {}

export interface ArchiveReport {
  manifest: Manifest;
  files: Map<string, string>;
  totalBytes: number;
  /** Contents of the small text files the plan needs before anything is extracted. */
  texts: Map<string, string>;
}

/** Read into memory during the verify pass (all small): the plan is made from them. */
const KEPT_TEXTS = new Set(['manifest.json', 'Dockerfile', '.env.example', PROVIDER_FILE]);
const MAX_KEPT_BYTES = 1024 * 1024;

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

/** Normalises `./a/b` and `a/b/` to `a/b`; throws ArchiveCorrupt for anything unsafe. */
export function safeEntryPath(raw: string): string {
  if (raw.includes('\0')) throw new ArchiveCorrupt(`archive entry name contains a NUL byte`);
  if (raw.includes('\\')) throw new ArchiveCorrupt(`archive entry "${raw}" contains a backslash`);
  if (raw.startsWith('/')) throw new ArchiveCorrupt(`archive entry "${raw}" is an absolute path`);
  if (raw.length > LIMITS.maxPathLength)
    throw new ArchiveCorrupt(`archive entry name is longer than ${LIMITS.maxPathLength} characters`);
  const segments = raw.split('/').filter((part) => part !== '' && part !== '.');
  if (segments.some((part) => part === '..')) throw new ArchiveCorrupt(`archive entry "${raw}" contains ".."`);
  return segments.join('/');
}

export interface ReadOptions {
  /** When set, files and directories are created under this (fresh, private) folder. */
  extractTo?: string;
  signal?: AbortSignal;
  /** Bounds other than LIMITS (tests prove each bound with small ones). */
  limits?: typeof LIMITS;
}

export async function readArchive(archivePath: string, options: ReadOptions = {}): Promise<ArchiveReport> {
  const files = new Map<string, string>();
  const pending: Promise<void>[] = [];
  const texts = new Map<string, string>();
  const seen = new Set<string>();
  let entries = 0;
  let totalBytes = 0;
  const limits = options.limits ?? LIMITS;

  await new Promise<void>((resolve, reject) => {
    const source = createReadStream(archivePath);
    const parser = new Parser({ strict: true, maxDecompressionRatio: 50 } as ConstructorParameters<typeof Parser>[0]);
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      source.destroy();
      reject(error);
    };
    options.signal?.addEventListener('abort', () => fail(options.signal?.reason ?? new Error('aborted')), {
      once: true,
    });
    parser.on('entry', (entry: ReadEntry) => {
      if (failed) return entry.resume();
      try {
        entries++;
        if (entries > limits.maxEntries)
          throw new ArchiveCorrupt(`the archive has more than ${limits.maxEntries} entries`);
        const path = safeEntryPath(entry.path);
        if (entry.type === 'Directory') {
          if (path !== '' && options.extractTo) makeDirs(options.extractTo, path);
          return entry.resume();
        }
        if (!FILE_TYPES.has(entry.type)) {
          throw new ArchiveCorrupt(
            `archive entry "${entry.path}" is a ${describeType(entry.type)}; only plain files and directories are allowed`,
          );
        }
        if (path === '') throw new ArchiveCorrupt(`archive entry "${entry.path}" has no name`);
        if (seen.has(path)) throw new ArchiveCorrupt(`archive entry "${path}" appears twice`);
        seen.add(path);
        if (entry.size > limits.maxFileBytes)
          throw new ArchiveCorrupt(
            `archive entry "${path}" is ${entry.size} bytes, over the ${limits.maxFileBytes}-byte limit`,
          );
        totalBytes += entry.size;
        if (totalBytes > limits.maxTotalBytes)
          throw new ArchiveCorrupt(`the archive unpacks to more than ${limits.maxTotalBytes} bytes`);
        if (KEPT_TEXTS.has(path) && entry.size > MAX_KEPT_BYTES) throw new ArchiveCorrupt(`${path} is too large`);
        pending.push(
          consumeFile(entry, path, files, options.extractTo, (text) => texts.set(path, text)).catch((error) => {
            fail(error);
          }),
        );
      } catch (error) {
        entry.resume();
        fail(error);
      }
    });
    parser.on('error', (error: Error) =>
      fail(new ArchiveCorrupt(`the archive is not a valid tar.gz: ${error.message}`)),
    );
    parser.on('end', () => {
      Promise.all(pending).then(() => {
        if (!failed) resolve();
      }, fail);
    });
    source.on('error', (error) =>
      fail(Object.assign(new ArchiveUnreadable(error.message), { code: (error as NodeJS.ErrnoException).code })),
    );
    source.pipe(parser as unknown as NodeJS.WritableStream);
  });

  const manifest = checkManifest(texts.get('manifest.json') ?? '', files);
  return { manifest, files, totalBytes, texts };
}

function consumeFile(
  entry: ReadEntry,
  path: string,
  files: Map<string, string>,
  extractTo: string | undefined,
  onManifest: (text: string) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const hash = createHash('sha256');
    const keep: Buffer[] | undefined = KEPT_TEXTS.has(path) ? [] : undefined;
    let size = 0;
    const target = extractTo ? join(extractTo, path) : undefined;
    let out: ReturnType<typeof createWriteStream> | undefined;
    if (target && extractTo) {
      const slash = path.lastIndexOf('/');
      if (slash > 0) makeDirs(extractTo, path.slice(0, slash));
      // O_EXCL|O_NOFOLLOW: a name that already exists (a duplicate or a planted link) is an error.
      const mode = (entry.mode ?? 0o644) & 0o111 ? 0o755 : 0o644;
      const fd = openSync(
        target,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
        mode,
      );
      // Set explicitly: installer.sh runs us under umask 077, and the image's user 1001 must be
      // able to execute /app/ai-proxy and read the libraries.
      fchmodSync(fd, mode);
      out = createWriteStream('', { fd });
      out.on('error', reject);
      out.on('drain', () => entry.resume());
    }
    const finish = () => {
      if (size !== entry.size) return reject(new ArchiveCorrupt(`archive entry "${path}" is truncated`));
      files.set(path, hash.digest('hex'));
      if (keep) onManifest(Buffer.concat(keep).toString('utf8'));
      resolve();
    };
    // One consumer for hashing and writing (no pipe): every chunk is hashed exactly as written.
    entry.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      size += chunk.length;
      keep?.push(chunk);
      if (out && !out.write(chunk)) entry.pause();
    });
    entry.on('end', () => {
      if (out) out.end(finish);
      else finish();
    });
  });
}

/** Creates each folder of `relative` under `root` as 0755, whatever the umask. */
function makeDirs(root: string, relative: string): void {
  let current = root;
  for (const part of relative.split('/')) {
    current = join(current, part);
    try {
      mkdirSync(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw error;
    }
    chmodSync(current, 0o755);
  }
}

function describeType(type: string): string {
  switch (type) {
    case 'SymbolicLink':
      return 'symbolic link';
    case 'Link':
      return 'hard link';
    case 'CharacterDevice':
    case 'BlockDevice':
      return 'device';
    case 'FIFO':
      return 'FIFO';
    default:
      return `"${type}" entry`;
  }
}

function checkManifest(text: string, files: Map<string, string>): Manifest {
  if (!files.has('manifest.json')) throw new ArchiveCorrupt('manifest.json is missing from the archive');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ArchiveCorrupt(`manifest.json is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ArchiveCorrupt(
      `manifest.json ${issue?.path.join('.') || ''}: ${issue?.message ?? 'invalid'}`.replace(' :', ':'),
    );
  }
  const manifest = parsed.data;
  for (const required of REQUIRED_FILES) {
    if (!files.has(required)) throw new ArchiveCorrupt(`the archive has no ${required}`);
  }
  for (const [path, expected] of Object.entries(manifest.files)) {
    const actual = files.get(safeEntryPath(path));
    if (actual === undefined)
      throw new ArchiveCorrupt(`${path} is listed in manifest.json but missing from the archive`);
    if (actual !== expected) throw new ArchiveCorrupt(`${path} does not match its sha256 in manifest.json`);
  }
  const listed = new Set(Object.keys(manifest.files).map(safeEntryPath));
  for (const path of files.keys()) {
    if (path !== 'manifest.json' && !listed.has(path))
      throw new ArchiveCorrupt(`${path} is in the archive but not in manifest.json`);
  }
  return manifest;
}

/** sha256 of the archive file itself: the identity used to detect "same archive" re-runs. */
export function hashFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}
