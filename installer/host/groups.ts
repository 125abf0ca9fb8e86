// Who on this host shares the container's group id. The configuration folder is root:<gid>
// 0750 and its files 0640 (.env with the token and keys, the TLS key): any host account in
// that group, or whose primary group it is, could read them. The installer reserves the gid as
// its own group `ai-proxy` when it is free (so `adduser` never hands it out later) and refuses
// when someone else has it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../command/exit-codes.ts';
import { InstallError } from '../command/errors.ts';

export const CONTAINER_GROUP = 'ai-proxy';

export interface GidHolders {
  /** Groups with this gid in /etc/group, with their listed members. */
  groups: Array<{ name: string; members: string[] }>;
  /** Accounts in /etc/passwd whose primary group is this gid. */
  users: string[];
}

function lines(path: string): string[][] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => line.split(':'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export function gidHolders(gid: number, root = '/'): GidHolders {
  const groups = lines(join(root, 'etc/group'))
    .filter((fields) => fields[2] === String(gid))
    .map((fields) => ({ name: fields[0] ?? '', members: (fields[3] ?? '').split(',').filter(Boolean) }));
  const users = lines(join(root, 'etc/passwd'))
    .filter((fields) => fields[3] === String(gid))
    .map((fields) => fields[0] ?? '');
  return { groups, users };
}

export type GidVerdict = 'free' | 'ours';

/** 'free' (reserve it), 'ours' (our group, nobody in it), or an InstallError naming who has it. */
export function judgeGid(gid: number, holders: GidHolders): GidVerdict {
  const { groups, users } = holders;
  if (groups.length === 0 && users.length === 0) return 'free';
  const members = [...new Set([...groups.flatMap((group) => group.members), ...users])];
  if (groups.length === 1 && groups[0]?.name === CONTAINER_GROUP && members.length === 0) return 'ours';
  const names = groups.map((group) => `"${group.name}"`).join(', ');
  const who = members.length ? `; accounts in it: ${members.join(', ')}` : '';
  const owner = groups.length ? `group ${names}` : `the primary group of ${users.join(', ')}`;
  throw new InstallError(
    EXIT.configFailed,
    `gid ${gid}, the container's group that can read .env, the keys and the TLS key, is ${owner} on this host${who}: they could read them`,
    groups.some((group) => group.name === CONTAINER_GROUP)
      ? `take the accounts out of the group (sudo gpasswd -d USER ${CONTAINER_GROUP}) and run again`
      : `give it another gid (sudo groupmod -g NEW ${groups[0]?.name ?? 'GROUP'}, then chgrp its files) and run again: the installer then reserves ${gid} as group ${CONTAINER_GROUP}`,
  );
}

function prefixed(root: string): string[] {
  return root === '/' ? [] : ['--prefix', root];
}

/** Creates the group `ai-proxy` with this gid (groupadd, so NSS caches and gshadow agree). */
export function reserveGid(gid: number, root = '/'): void {
  execFileSync('groupadd', [...prefixed(root), '--gid', String(gid), CONTAINER_GROUP], { stdio: 'pipe' });
}

export function releaseGid(root = '/'): void {
  execFileSync('groupdel', [...prefixed(root), CONTAINER_GROUP], { stdio: 'pipe' });
}
