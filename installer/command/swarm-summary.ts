// The end of a --swarm run: the summary's `swarm` object and, on a manager, the lines an
// operator needs next (where it runs, the hardening it really got, the join command).
import { SERVICE } from '../engine/stack.ts';
import type { Output } from './progress.ts';
import type { Summary } from './summary.ts';

export type SwarmSummary = Summary & {
  swarm?: {
    role: string;
    join?: { manager: string; token: string };
    nodes?: number;
    service?: string;
    tasks?: number;
    hardening?: { applied: string[]; notApplied: string[] };
  };
};

export function printSwarmSuccess(out: Output, configDir: string, port: number, summary: SwarmSummary): void {
  const swarm = summary.swarm;
  const lines = [
    '',
    `ai-proxy ${summary.version} runs as ${SERVICE} on ${swarm?.nodes} node${swarm?.nodes === 1 ? '' : 's'} (port ${port}, host mode on each node).`,
    `  Check      curl http://<any node>:${port}/ping`,
    `  Token      AUTH_TOKEN in ${configDir}/.env on this manager (a Docker secret on the nodes)`,
    `  Manage     docker service ps ${SERVICE} | docker service logs ${SERVICE}`,
  ];
  if (swarm?.hardening) {
    lines.push(`  Hardening  applied: ${swarm.hardening.applied.join('; ')}`);
    for (const missing of swarm.hardening.notApplied) lines.push(`  NOT applied: ${missing}`);
  }
  lines.push(
    '',
    'On each further VPS, copy the two files and run (the token goes on stdin: no other user sees it in ps):',
    `  echo '${swarm?.join?.token}' | sudo ./installer.sh --swarm join --manager ${swarm?.join?.manager} --token-file -`,
  );
  out.write(`${lines.join('\n')}\n`);
}
