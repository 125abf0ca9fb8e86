// The single-VPS install, upgrade and reconfiguration, as data: look (recover, verify, port,
// plan), pass the gate, change (extract, reserve the group, configure, data folder, boot unit, build, start
// the new proxy beside the old one, wait until it serves), commit (hand over: the old one drains;
// with --drain-timeout wait for it; clean up).
import { printSuccess, summarize } from '../command/summary.ts';
import { bootUnit } from '../steps/boot-unit.ts';
import { build } from '../steps/build.ts';
import { cleanUp } from '../steps/clean-up.ts';
import { choosePort } from '../steps/choose-port.ts';
import { configure } from '../steps/configure.ts';
import { extract } from '../steps/extract.ts';
import { handOver } from '../steps/hand-over.ts';
import { planInstall, planLines, unchangedLine } from '../steps/plan-install.ts';
import { prepareDataDir } from '../steps/prepare-data-dir.ts';
import { recover } from '../steps/recover.ts';
import { reserveGroup } from '../steps/reserve-group.ts';
import { startContainer } from '../steps/start-container.ts';
import { verifyArchive } from '../steps/verify-archive.ts';
import { waitDrained } from '../steps/wait-drained.ts';
import { waitHealthy } from '../steps/wait-healthy.ts';
import { flow } from './flow.ts';

export const installFlow = flow('install')
  .phase('inspect')
  .step(recover)
  .step(verifyArchive)
  .phase('plan')
  .step(choosePort)
  .step(planInstall)
  .gate({ plan: planLines, confirm: true, unchanged: unchangedLine })
  .phase('apply')
  .step(extract)
  .step(reserveGroup)
  .step(configure)
  .step(prepareDataDir)
  .step(bootUnit)
  .step(build)
  .step(startContainer)
  .step(waitHealthy)
  .phase('commit')
  .step(handOver)
  .step(waitDrained)
  .step(cleanUp)
  .report((run, facts, outcome, out) => {
    const summary = summarize(run, facts);
    if (outcome === 'applied' && !run.options.json) printSuccess(out, run, facts, summary);
    return summary;
  });
