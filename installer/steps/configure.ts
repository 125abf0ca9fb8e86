// Step 5: write the configuration into /srv/ai-proxy (0750 root:1001, files 0640 root:1001)
// and the port into the extracted Dockerfile. Every write is atomic; every changed file is
// backed up first and restored byte for byte on rollback.
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { EXIT } from '../exit-codes.ts';
import { backupFile, backupStamp, ensureConfigDir, ENV_NAME, PROVIDER_NAME, restoreConfigFile, writeConfigFile } from '../config-files.ts';
import { writeFileAtomic } from '../atomic-write.ts';
import type { RunState, Step } from '../state.ts';
import { need } from '../state.ts';

export const configure: Step = {
  title: (state) => `Writing the configuration in ${state.ctx.paths.configDir}`,
  exitCode: EXIT.configFailed,
  async run(state, undo) {
    const { configDir } = state.ctx.paths;
    const gid = state.ctx.containerGid;
    const config = need(state.config, 'config');
    const created = ensureConfigDir(configDir, gid);
    if (created) undo({ label: `remove ${configDir}`, run: () => rmSync(configDir, { recursive: true, force: true }) });
    const stamp = backupStamp();
    const changed: string[] = [];
    const files: Array<[string, string, Buffer | undefined]> = [
      [ENV_NAME, config.next.env, config.current.env],
      [PROVIDER_NAME, config.next.provider, config.current.provider],
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
    // The extracted Dockerfile is the build's, not the operator's: no backup, but still atomic.
    writeFileAtomic(join(state.ctx.paths.workDir, 'Dockerfile'), need(state.dockerfile, 'dockerfile'), { mode: 0o644 });
    return changed.length ? changed.join(', ') : 'configuration unchanged';
  },
};
