// deploy/ecs, offline: the CDK stack asserted with aws-cdk-lib/assertions, the committed
// CloudFormation template checked to be exactly a fresh synthesis, and each hardening assertion
// shown to catch its removal from the template.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildStack, renderTemplate, TEMPLATE_PATH } from '../../deploy/ecs/synthesize.ts';
import { assertHardened, assertStandalone } from './ecs-hardening.ts';
import { ROOT } from './k8s-manifests.ts';

type Obj = Record<string, any>;
const stack = Template.fromStack(buildStack());
const committedText = readFileSync(TEMPLATE_PATH, 'utf8');
const committed = JSON.parse(committedText) as Obj;

test('the stack is hardened, behind a load balancer with health checks, and scales by target tracking', () => {
  assertHardened(stack);
  assertStandalone(stack);
});

test('the committed template is exactly what stack.ts synthesizes (run `npx tsx deploy/ecs/synth.ts` after editing it)', () => {
  assert.equal(committedText, renderTemplate());
});

test('the committed template passes the same assertions', () => {
  assertHardened(Template.fromJSON(committed));
  assertStandalone(Template.fromJSON(committed));
});

test('removing or weakening any single hardening field of the template is reported', async (t) => {
  const resources: Obj = committed.Resources;
  const idOf = (type: string) => Object.keys(resources).find((k) => resources[k].Type === type)!;
  const task = ['Resources', idOf('AWS::ECS::TaskDefinition'), 'Properties'];
  const c = [...task, 'ContainerDefinitions', 0];
  const service = ['Resources', idOf('AWS::ECS::Service'), 'Properties'];
  // [name, path, new value (undefined = delete), what the failure must say]
  const cases: [string, (string | number)[], unknown, RegExp][] = [
    ['Fargate compatibility', [...task, 'RequiresCompatibilities'], ['EC2'], /Expected FARGATE but received EC2/],
    ['readonlyRootFilesystem', [...c, 'ReadonlyRootFilesystem'], undefined, /Missing key 'ReadonlyRootFilesystem'/],
    ['user', [...c, 'User'], '0', /Expected 1001:1001 but received 0/],
    ['privileged', [...c, 'Privileged'], true, /Expected false but received true "Privileged"/],
    ['memory limit', [...c, 'Memory'], undefined, /Missing key 'Memory'/],
    ['health check', [...c, 'HealthCheck'], undefined, /Missing key 'HealthCheck'/],
    ['init process', [...c, 'LinuxParameters', 'InitProcessEnabled'], false, /received false "InitProcessEnabled"/],
    ['capabilities drop', [...c, 'LinuxParameters', 'Capabilities'], { Drop: [] }, /"Drop": \[ !! Not enough elements/],
    ['awslogs', [...c, 'LogConfiguration', 'LogDriver'], 'json-file', /Expected awslogs but received json-file/],
    ['log group', [...c, 'LogConfiguration', 'Options', 'awslogs-group'], 'somewhere', /the stack's log group/],
    ['secrets', [...c, 'Secrets'], undefined, /Missing key 'Secrets'/],
    [
      'secret source',
      [...c, 'Secrets', 0, 'ValueFrom'],
      'arn:aws:ssm:eu-west-1:123456789012:parameter/token',
      /AUTH_TOKEN must come from Secrets Manager/,
    ],
    [
      'token as plain environment',
      [...c, 'Environment', 0],
      { Name: 'AUTH_TOKEN', Value: 'x'.repeat(40) },
      /must not be a plain environment variable/,
    ],
    ['/tmp tmpfs', [...c, 'LinuxParameters', 'Tmpfs'], undefined, /Missing key 'Tmpfs'/],
    [
      '/tmp executable',
      [...c, 'LinuxParameters', 'Tmpfs', 0, 'MountOptions'],
      ['rw'],
      /Could not match arrayWith pattern 1/,
    ],
    [
      'extra writable volume',
      [...c, 'MountPoints'],
      [{ ContainerPath: '/data', ReadOnly: false, SourceVolume: 'data' }],
      /no writable volume besides/,
    ],
    ['stop timeout', [...c, 'StopTimeout'], 5, /StopTimeout must exceed/],
    [
      'short generated token',
      ['Resources', idOf('AWS::SecretsManager::Secret'), 'Properties', 'GenerateSecretString', 'PasswordLength'],
      16,
      /at least 32 characters/,
    ],
    ['launch type', [...service, 'LaunchType'], 'EC2', /Expected FARGATE but received EC2 "LaunchType"/],
    [
      'rollback on failed deployment',
      [...service, 'DeploymentConfiguration', 'DeploymentCircuitBreaker', 'Rollback'],
      false,
      /received false "Rollback"/,
    ],
    [
      'public task addresses',
      [...service, 'NetworkConfiguration', 'AwsvpcConfiguration', 'AssignPublicIp'],
      'ENABLED',
      /Expected DISABLED but received ENABLED/,
    ],
    [
      'target group health path',
      ['Resources', idOf('AWS::ElasticLoadBalancingV2::TargetGroup'), 'Properties', 'HealthCheckPath'],
      '/',
      /Expected \/health\/ready but received \//,
    ],
    [
      'target tracking',
      ['Resources', idOf('AWS::ApplicationAutoScaling::ScalingPolicy')],
      undefined,
      /0 resources with type AWS::ApplicationAutoScaling::ScalingPolicy/,
    ],
    [
      'task ingress from anywhere',
      ['Resources', idOf('AWS::EC2::SecurityGroupIngress'), 'Properties', 'SourceSecurityGroupId'],
      undefined,
      /task ingress must come from/,
    ],
  ];
  for (const [name, path, value, expected] of cases) {
    await t.test(name, () => {
      const copy = structuredClone(committed);
      let at: Obj = copy;
      for (const key of path.slice(0, -1)) at = at[key];
      if (value === undefined) delete at[path[path.length - 1]!];
      else at[path[path.length - 1]!] = value;
      let message = '';
      try {
        assertHardened(Template.fromJSON(copy));
      } catch (error) {
        message = (error as Error).message.replace(/\s+/g, ' ');
      }
      assert.notEqual(message, '', `${name}: the change went unnoticed`);
      assert.match(message, expected, `${name}: caught, but not for the expected reason`);
    });
  }
});

test('with a certificate the load balancer serves HTTPS and redirects port 80', () => {
  const arn = 'arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000';
  const https = Template.fromStack(buildStack({ certificateArn: arn }));
  assertHardened(https);
  https.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
    Port: 443,
    Protocol: 'HTTPS',
    Certificates: [{ CertificateArn: arn }],
  });
  https.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
    Port: 80,
    DefaultActions: [
      Match.objectLike({ Type: 'redirect', RedirectConfig: Match.objectLike({ Protocol: 'HTTPS', Port: '443' }) }),
    ],
  });
});

test('synth.ts --check fails with the command to run when a template is stale', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aip-deploy-ecs-'));
  try {
    const stale = join(dir, 'stale.json');
    writeFileSync(stale, committedText.replace('"/health/ready"', '"/"'));
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'deploy/ecs/synth.ts'), '--check', '--out', stale],
      { cwd: ROOT, encoding: 'utf8' },
    );
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /is not what deploy\/ecs\/stack\.ts synthesizes; run: npx tsx deploy\/ecs\/synth\.ts/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
