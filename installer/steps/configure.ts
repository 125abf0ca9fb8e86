// Write the configuration into /srv/ai-proxy (0750 root:1001, files 0640 root:1001) and the
// build's Dockerfile into the work folder. Every write is atomic; every changed file is backed
// up first and restored byte for byte on rollback.
import { join } from 'node:path';
import { chmodSync, chownSync, mkdirSync, rmSync } from 'node:fs';
import { EXIT } from '../command/exit-codes.ts';
import {
  BACKUP_DIR,
  backupFile,
  backupStamp,
  ensureConfigDir,
  pathExists,
  restoreConfigFile,
  writeConfigFile,
} from '../config-files/config-dir.ts';
import { writeFileAtomic } from '../config-files/atomic-write.ts';
import { ENV_FILE, PROVIDER_FILE } from '../../src/contract/container.ts';
import type { ConfigChange } from '../config-files/config-change.ts';
import type { Run, Step, Undo } from '../flows/step.ts';
import type { HttpsSetup } from '../https/https-setup.ts';

export const configure: Step<{ config: ConfigChange; https?: HttpsSetup; dockerfile: string }> = {
  title: (run) => `Writing the configuration in ${run.ctx.paths.configDir}`,
  exitCode: EXIT.configFailed,
  run: async (run, undo, { config, https, dockerfile }) => {
    const { configDir } = run.ctx.paths;
    const gid = run.ctx.containerGid;
    const created = ensureConfigDir(configDir, gid);
    if (created) undo({ label: `remove ${configDir}`, run: () => rmSync(configDir, { recursive: true, force: true }) });
    const stamp = backupStamp();
    const changed: string[] = [];
    const files: Array<[string, string, Buffer | undefined]> = [
      [ENV_FILE, config.next.env, config.current.env],
      [PROVIDER_FILE, config.next.provider, config.current.provider],
    ];
    for (const [name, next, current] of files) {
      if (current && current.equals(Buffer.from(next))) {
        // Unchanged content: only make sure owner and mode are right (the container reads it as 1001).
        writeConfigFile(configDir, name, current, gid);
        continue;
      }
      backupFile(configDir, name, stamp);
      undo({ label: `restore ${join(configDir, name)}`, run: () => restoreConfigFile(configDir, name, current, gid) });
      writeConfigFile(configDir, name, next, gid);
      changed.push(current ? `${name} updated` : `${name} created`);
    }
    if (https) changed.push(...writeHttpsFiles(run, https, stamp, undo));
    // The extracted Dockerfile is the build's, not the operator's: no backup, but still atomic.
    writeFileAtomic(join(run.ctx.paths.workDir, 'Dockerfile'), dockerfile, { mode: 0o644 });
    return changed.length ? changed.join(', ') : 'configuration unchanged';
  },
};

/** tls/*.pem (backed up, restored byte for byte) and, with --domain, the ACME state folder. */
function writeHttpsFiles(run: Run, tls: HttpsSetup, stamp: string, undo: Undo): string[] {
  const { configDir } = run.ctx.paths;
  const gid = run.ctx.containerGid;
  const changed: string[] = [];
  if (tls.files.length > 0) {
    const dir = join(configDir, 'tls');
    const existed = pathExists(dir);
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    chownSync(dir, 0, gid);
    chmodSync(dir, 0o750);
    if (!existed)
      undo({ label: `remove ${dir}`, phase: 'last', run: () => rmSync(dir, { recursive: true, force: true }) });
  }
  for (const file of tls.files) {
    if (file.current?.equals(file.next)) {
      writeFileAtomic(join(configDir, file.name), file.current, { mode: file.mode, uid: 0, gid });
      continue;
    }
    if (file.current) backupTlsFile(configDir, file.name, file.current, stamp);
    const current = file.current;
    undo({
      label: `restore ${join(configDir, file.name)}`,
      run: () =>
        current
          ? writeFileAtomic(join(configDir, file.name), current, { mode: file.mode, uid: 0, gid })
          : rmSync(join(configDir, file.name), { force: true }),
    });
    writeFileAtomic(join(configDir, file.name), file.next, { mode: file.mode, uid: 0, gid });
    changed.push(`${file.name} ${current ? 'updated' : 'created'}`);
  }
  if (tls.acmeDir) {
    // Kept across re-installs and --uninstall (a valid certificate is reused: ACME rate limits).
    const existed = pathExists(tls.acmeDir);
    mkdirSync(tls.acmeDir, { recursive: true, mode: 0o770 });
    chownSync(tls.acmeDir, 0, gid);
    chmodSync(tls.acmeDir, 0o2770);
    if (!existed) {
      const dir = tls.acmeDir;
      undo({ label: `remove ${dir}`, phase: 'last', run: () => rmSync(dir, { recursive: true, force: true }) });
      changed.push(`${ACME_DIR_LABEL} created`);
    }
  }
  return changed;
}

const ACME_DIR_LABEL = 'acme/';

/** .backup/tls-cert.pem.<stamp> (0600), next to the .env backups. */
function backupTlsFile(configDir: string, name: string, bytes: Buffer, stamp: string): void {
  const dir = join(configDir, BACKUP_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  writeFileAtomic(join(dir, `${name.replace('/', '-')}.${stamp}`), bytes, { mode: 0o600 });
}
