// Before the configuration is written as root:<gid>: make sure no host account can read it
// through that gid, and reserve the gid as group `ai-proxy` so no account created later gets it.
import { EXIT } from '../command/exit-codes.ts';
import { gidHolders, judgeGid, releaseGid, reserveGid, CONTAINER_GROUP } from '../host/groups.ts';
import type { Step } from '../flows/step.ts';

export const reserveGroup: Step = {
  title: (run) => `Reserving gid ${run.ctx.containerGid} for the container's group`,
  exitCode: EXIT.configFailed,
  run: async (run, undo) => {
    const { containerGid: gid, hostRoot } = run.ctx;
    if (judgeGid(gid, gidHolders(gid, hostRoot)) === 'ours')
      return `group ${CONTAINER_GROUP} (${gid}) already reserved`;
    reserveGid(gid, hostRoot);
    undo({ label: `remove the group ${CONTAINER_GROUP}`, run: () => releaseGid(hostRoot) });
    return `group ${CONTAINER_GROUP} (${gid}) created: no host account can get this gid`;
  },
};
