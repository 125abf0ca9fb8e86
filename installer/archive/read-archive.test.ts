import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArchiveCorrupt, ArchiveUnreadable, LIMITS, readArchive, safeEntryPath } from './read-archive.ts';
import { MINIMAL_FILES, rawTar, releaseEntries, type RawEntry } from '../../test/installer/lib/raw-tar.ts';

const dir = mkdtempSync(join(tmpdir(), 'aip-inst-archive-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

function archive(entries: RawEntry[]): string {
  const path = join(dir, `a${counter++}.tar.gz`);
  writeFileSync(path, rawTar(entries));
  return path;
}

async function rejectsWith(entries: RawEntry[], pattern: RegExp): Promise<void> {
  const target = join(dir, `x${counter++}`);
  await assert.rejects(
    readArchive(archive(entries)),
    (error: Error) => error instanceof ArchiveCorrupt && pattern.test(error.message),
  );
  // Extraction must fail the same way, before the unsafe entry is written anywhere.
  const { mkdirSync } = await import('node:fs');
  mkdirSync(target);
  await assert.rejects(
    readArchive(archive(entries), { extractTo: target }),
    (error: Error) => error instanceof ArchiveCorrupt && pattern.test(error.message),
  );
}

const good = () => releaseEntries(MINIMAL_FILES);

/** Every file called `name` under `root`: where an unsafe entry would have been written. */
function written(root: string, name: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((path) => path.split('/').at(-1) === name);
}

test('a well-formed release verifies and extracts with its hashes checked', async () => {
  const report = await readArchive(archive(good()));
  assert.equal(report.manifest.version, '1.2.3');
  assert.equal(report.files.size, Object.keys(MINIMAL_FILES).length + 1);
  assert.equal(report.texts.get('Dockerfile'), MINIMAL_FILES.Dockerfile);
  const target = join(dir, 'good');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(target);
  await readArchive(archive(good()), { extractTo: target });
  assert.equal(readFileSync(join(target, 'rootfs/etc/passwd'), 'utf8'), MINIMAL_FILES['rootfs/etc/passwd']);
  assert.deepEqual(readdirSync(target).sort(), [
    '.env.example',
    'Dockerfile',
    'ai-proxy',
    'manifest.json',
    'provider-config.yaml',
    'rootfs',
  ]);
});

test('every extracted byte is what the manifest hashed, also for large multi-chunk files', async () => {
  const { randomBytes, createHash } = await import('node:crypto');
  const files = { ...MINIMAL_FILES, 'rootfs/big.bin': randomBytes(3 * 1024 * 1024 + 123).toString('latin1') };
  const entries = releaseEntries(files).map((entry) =>
    entry.path === 'rootfs/big.bin' ? { ...entry, body: Buffer.from(files['rootfs/big.bin'], 'latin1') } : entry,
  );
  const manifestEntry = entries.find((entry) => entry.path === 'manifest.json')!;
  const manifest = JSON.parse(String(manifestEntry.body));
  manifest.files['rootfs/big.bin'] = createHash('sha256')
    .update(Buffer.from(files['rootfs/big.bin'], 'latin1'))
    .digest('hex');
  manifestEntry.body = JSON.stringify(manifest);
  const target = join(dir, 'bytes');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(target);
  await readArchive(archive(entries), { extractTo: target });
  for (const [path, expected] of Object.entries(manifest.files as Record<string, string>)) {
    assert.equal(
      createHash('sha256')
        .update(readFileSync(join(target, path)))
        .digest('hex'),
      expected,
      path,
    );
  }
  assert.equal(readFileSync(join(target, 'manifest.json'), 'utf8'), manifestEntry.body);
});

test('executable bits survive, setuid bits do not, and the umask does not matter (installer.sh sets 077)', async () => {
  const previousUmask = process.umask(0o077);
  after(() => process.umask(previousUmask));
  const entries = good().map((entry) => (entry.path === 'ai-proxy' ? { ...entry, mode: 0o4755 } : entry));
  const target = join(dir, 'modes');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(target);
  await readArchive(archive(entries), { extractTo: target });
  assert.equal(statSync(join(target, 'ai-proxy')).mode & 0o7777, 0o755);
  assert.equal(statSync(join(target, 'Dockerfile')).mode & 0o7777, 0o644);
  assert.equal(statSync(join(target, 'rootfs/etc')).mode & 0o7777, 0o755);
  assert.equal(statSync(join(target, 'rootfs/etc/passwd')).mode & 0o7777, 0o644);
  process.umask(previousUmask);
});

test('absolute paths are refused, and nothing is written there', async () => {
  // an absolute path inside this test's folder: where a naive extractor would write it
  const outside = join(dir, 'absolute-evil');
  await rejectsWith([...good(), { path: outside, body: 'x' }], /absolute path/);
  assert.deepEqual(written(dir, 'absolute-evil'), [], 'the absolute entry was written (as is, or under the target)');
});

test('paths with .. are refused, wherever the .., and nothing lands outside the target', async () => {
  // rejectsWith extracts into dir/x<n>: "../evil" would land in dir itself
  await rejectsWith([...good(), { path: '../evil', body: 'x' }], /contains "\.\."/);
  await rejectsWith([...good(), { path: 'rootfs/../../evil', body: 'x' }], /contains "\.\."/);
  assert.deepEqual(written(dir, 'evil'), [], 'an entry with .. was written');
  await rejectsWith([...good(), { path: 'rootfs/..', type: 'Directory' }], /contains "\.\."/);
});

test('symbolic links, hard links, devices and FIFOs are refused', async () => {
  await rejectsWith([{ path: 'rootfs/lib', type: 'SymbolicLink', linkpath: '/etc' }, ...good()], /symbolic link/);
  await rejectsWith([...good(), { path: 'rootfs/passwd2', type: 'Link', linkpath: 'rootfs/etc/passwd' }], /hard link/);
  await rejectsWith([...good(), { path: 'rootfs/dev/sda', type: 'BlockDevice' }], /device/);
  await rejectsWith([...good(), { path: 'rootfs/dev/null', type: 'CharacterDevice' }], /device/);
  await rejectsWith([...good(), { path: 'fifo', type: 'FIFO' }], /FIFO/);
});

test('an oversize entry is refused from its header, before its body is read (the shipped limit)', async () => {
  // The header claims one byte over LIMITS.maxFileBytes and no body follows: only a check of the
  // header can refuse it as oversize (reading the body would find it truncated instead).
  const claim = LIMITS.maxFileBytes + 1;
  await assert.rejects(
    readArchive(archive([...good(), { path: 'big', size: claim }])),
    (error: Error) =>
      error instanceof ArchiveCorrupt && error.message.includes(`over the ${LIMITS.maxFileBytes}-byte limit`),
  );
});

// The other bounds with small limits passed in (LIMITS itself is never changed: tests of this
// file may run at the same time).
const small = (bounds: Partial<typeof LIMITS>) => ({ limits: { ...LIMITS, ...bounds } });

test('an entry over a smaller file limit is refused', async () => {
  await assert.rejects(
    readArchive(archive([...good(), { path: 'big', body: Buffer.alloc(2000) }]), small({ maxFileBytes: 1000 })),
    (error: Error) => error instanceof ArchiveCorrupt && /over the 1000-byte limit/.test(error.message),
  );
});

test('too many entries and too many bytes in total are refused', async () => {
  await assert.rejects(
    readArchive(archive(good()), small({ maxEntries: 3 })),
    (error: Error) => error instanceof ArchiveCorrupt && /more than 3 entries/.test(error.message),
  );
  await assert.rejects(
    readArchive(archive(good()), small({ maxTotalBytes: 100 })),
    (error: Error) => error instanceof ArchiveCorrupt && /unpacks to more than 100 bytes/.test(error.message),
  );
  // the same archive within the bounds: the refusals above are the bounds, not the archive
  await readArchive(archive(good()), small({ maxEntries: good().length, maxTotalBytes: 10_000 }));
});

test('a duplicate name is refused (it could replace a checked file)', async () => {
  await rejectsWith([...good(), { path: './Dockerfile', body: 'FROM evil' }], /appears twice/);
});

test('manifest problems: missing, invalid, wrong hash, missing file, unlisted file', async () => {
  await rejectsWith(
    good().filter((entry) => entry.path !== 'manifest.json'),
    /manifest.json is missing/,
  );
  await rejectsWith(
    [...good().filter((entry) => entry.path !== 'manifest.json'), { path: 'manifest.json', body: '{nope' }],
    /not valid JSON/,
  );
  await rejectsWith(releaseEntries(MINIMAL_FILES, { version: '../1' }), /version/);
  const tampered = good().map((entry) =>
    entry.path === 'Dockerfile' ? { ...entry, body: 'FROM scratch\nUSER root\n' } : entry,
  );
  await rejectsWith(tampered, /Dockerfile does not match its sha256/);
  await rejectsWith(
    good().filter((entry) => entry.path !== 'rootfs/etc/passwd'),
    /listed in manifest.json but missing/,
  );
  await rejectsWith([...good(), { path: 'extra.sh', body: 'x' }], /not in manifest.json/);
  const { Dockerfile: _, ...withoutDockerfile } = MINIMAL_FILES;
  await rejectsWith(releaseEntries(withoutDockerfile), /has no Dockerfile/);
});

test('garbage and truncated archives are refused as corrupt', async () => {
  const garbage = join(dir, 'garbage.tar.gz');
  writeFileSync(garbage, 'this is not a tarball at all, not even gzip'.repeat(20));
  await assert.rejects(readArchive(garbage), ArchiveCorrupt);
  const whole = rawTar(good());
  const truncated = join(dir, 'truncated.tar.gz');
  writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length / 2)));
  await assert.rejects(readArchive(truncated), ArchiveCorrupt);
});

test('an unreadable archive is an I/O error, not corruption', async () => {
  await assert.rejects(
    readArchive(join(dir, 'missing.tar.gz')),
    (error: NodeJS.ErrnoException) => error instanceof ArchiveUnreadable && error.code === 'ENOENT',
  );
});

test('safeEntryPath normalises ./ and trailing slashes', () => {
  assert.equal(safeEntryPath('./ai-proxy'), 'ai-proxy');
  assert.equal(safeEntryPath('rootfs/etc/'), 'rootfs/etc');
  assert.equal(safeEntryPath('./'), '');
  assert.throws(() => safeEntryPath('a\\..\\b'), /backslash/);
});
