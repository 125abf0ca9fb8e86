import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOptions } from '../command/args.ts';
import { countSteps, type Flow } from './flow.ts';
import { installFlow } from './install.ts';
import { swarmFlows } from './swarm-modes.ts';
import { uninstallFlow } from './uninstall.ts';

const TOKEN = `SWMTKN-1-${'a1'.repeat(25)}-${'b'.repeat(25)}`;

/** The progress counter's total before any branch is chosen: the host check plus the flow's steps. */
const total = (flow: Flow, argv: string[]) =>
  1 + countSteps(flow.items, parseOptions(argv, { AI_PROXY_SWARM_TOKEN: TOKEN }));

test('each flow counts the progress lines an operator sees, --purge included', () => {
  assert.equal(total(installFlow, []), 15);
  assert.equal(total(installFlow, ['--drain-timeout', '60']), 16, 'the drain wait only when asked');
  assert.equal(total(uninstallFlow, ['--uninstall']), 4);
  assert.equal(total(uninstallFlow, ['--uninstall', '--purge']), 5);
  assert.equal(total(swarmFlows.init, ['--swarm', 'init']), 17);
  assert.equal(total(swarmFlows.upgrade, ['--swarm', 'upgrade']), 17, "a manager's, until the role says worker");
  assert.equal(total(swarmFlows.join, ['--swarm', 'join', '--manager', '10.0.0.2']), 8);
  assert.equal(total(swarmFlows.leave, ['--swarm', 'leave']), 3);
});

test('the branches count their own paths once chosen: a worker upgrade, a manager uninstall', () => {
  const paths = (flow: Flow) => {
    const branch = flow.items.find((item) => item.kind === 'branch');
    return branch?.kind === 'branch' ? branch.paths : [];
  };
  const options = parseOptions(['--uninstall', '--purge'], {});
  const [worker] = paths(swarmFlows.upgrade).filter((p) => p.name === 'worker');
  assert.equal(
    2 + countSteps(worker?.items ?? [], options),
    6,
    'host check, role, then verify, extract, build, clean up',
  );
  const [manager] = paths(uninstallFlow).filter((p) => p.name === 'manager');
  assert.equal(
    1 + countSteps(manager?.items ?? [], options),
    7,
    'host check, the stack and its objects, then 4 (boot unit, containers, images, configuration)',
  );
});
