// Writes manifest.json into the staged archive folder: build facts, the Debian packages the
// rootfs came from, and the sha256 of every file, so the installer can check what it unpacks.
// Usage: node manifest.mjs STAGE_DIR ROOTFS_LOCK DEB_ARCH NAME VERSION COMMIT ARCH NODE_VERSION
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [stage, lock, debArch, name, version, commit, arch, node] = process.argv.slice(2);
if (!node) {
  console.error('usage: node manifest.mjs STAGE_DIR ROOTFS_LOCK DEB_ARCH NAME VERSION COMMIT ARCH NODE_VERSION');
  process.exit(2);
}
function* walk(dir, prefix = '') {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix + entry.name;
    if (entry.isDirectory()) yield* walk(join(dir, entry.name), `${rel}/`);
    else if (entry.isFile()) yield rel;
    else throw new Error(`${rel} is neither a file nor a folder: the archive must hold only those`);
  }
}
const files = {};
for (const rel of [...walk(stage)].filter((f) => f !== 'manifest.json').sort()) {
  files[rel] = createHash('sha256')
    .update(readFileSync(join(stage, rel)))
    .digest('hex');
}
const debianPackages = readFileSync(lock, 'utf8')
  .split('\n')
  .filter((line) => line && !line.startsWith('#'))
  .map((line) => line.split(/\s+/))
  .filter((f) => f[1] === debArch)
  .map(([pkg, , ver, sha256, file]) => ({ package: pkg, version: ver, sha256, file }));
const manifest = { name, version, commit, arch, node, debianPackages, files };
writeFileSync(join(stage, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
