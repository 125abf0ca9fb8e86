// What the Fargate template must keep, written with aws-cdk-lib/assertions so it runs on a stack
// (Template.fromStack) and on any template JSON (Template.fromJSON), such as a deliberately
// weakened copy of the committed one.
import assert from 'node:assert/strict';
import { Match, type Template } from 'aws-cdk-lib/assertions';

type Obj = Record<string, any>;

export const HEALTHCHECK = ['CMD', '/app/ai-proxy', 'healthcheck', '--port', '8080'];

function one(template: Template, type: string): [string, Obj] {
  const found = Object.entries(template.findResources(type));
  assert.equal(found.length, 1, `expected one ${type}, found ${found.length}`);
  return found[0] as [string, Obj];
}

/** The resource a `{ Ref }` (possibly inside Fn::Join, as secret ARNs with a JSON key are) names. */
function referencedType(template: Template, value: unknown): string | undefined {
  const resources: Obj = template.toJSON().Resources;
  const ref = JSON.stringify(value).match(/"Ref":"([^"]+)"/)?.[1];
  return ref === undefined ? undefined : resources[ref]?.Type;
}

export function assertHardened(template: Template): void {
  // The task: Fargate, with the single-VPS container's limits and hardening.
  template.hasResourceProperties('AWS::ECS::TaskDefinition', {
    RequiresCompatibilities: ['FARGATE'],
    NetworkMode: 'awsvpc',
    RuntimePlatform: { OperatingSystemFamily: 'LINUX' },
    ContainerDefinitions: [
      Match.objectLike({
        Image: { Ref: 'ImageUri' },
        User: '1001:1001',
        ReadonlyRootFilesystem: true,
        Privileged: false,
        Memory: 512,
        Cpu: 512,
        Essential: true,
        HealthCheck: Match.objectLike({ Command: HEALTHCHECK }),
        LinuxParameters: Match.objectLike({
          InitProcessEnabled: true,
          Capabilities: Match.objectLike({ Drop: ['ALL'] }),
          Tmpfs: [
            {
              ContainerPath: '/tmp',
              Size: Match.anyValue(),
              MountOptions: Match.arrayWith(['rw', 'noexec', 'nosuid']),
            },
          ],
        }),
        LogConfiguration: Match.objectLike({
          LogDriver: 'awslogs',
          Options: Match.objectLike({ 'awslogs-group': Match.anyValue(), 'awslogs-stream-prefix': Match.anyValue() }),
        }),
        Secrets: Match.arrayWith([Match.objectLike({ Name: 'AUTH_TOKEN' })]),
        PortMappings: [Match.objectLike({ ContainerPort: 8080 })],
      }),
    ],
  });
  const [, task] = one(template, 'AWS::ECS::TaskDefinition');
  const container = task.Properties.ContainerDefinitions[0];
  assert.ok(container.StopTimeout > 10, "StopTimeout must exceed the proxy's 10 s drain");
  for (const s of container.Secrets) {
    assert.equal(
      referencedType(template, s.ValueFrom),
      'AWS::SecretsManager::Secret',
      `secret ${s.Name} must come from Secrets Manager`,
    );
  }
  assert.deepEqual(container.MountPoints ?? [], [], 'no writable volume besides the /tmp tmpfs');
  for (const e of container.Environment ?? []) {
    assert.ok(
      !/TOKEN|KEY|SECRET|PASSWORD/.test(e.Name),
      `${e.Name} is a secret and must not be a plain environment variable`,
    );
  }
  assert.equal(
    referencedType(template, container.LogConfiguration.Options['awslogs-group']),
    'AWS::Logs::LogGroup',
    "logs go to the stack's log group",
  );
  template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: Match.anyValue() });

  // The generated token satisfies the proxy (32+ characters, no spaces).
  template.hasResourceProperties('AWS::SecretsManager::Secret', {
    GenerateSecretString: Match.objectLike({ GenerateStringKey: 'AUTH_TOKEN', IncludeSpace: false }),
  });
  const [, secret] = one(template, 'AWS::SecretsManager::Secret');
  assert.ok(secret.Properties.GenerateSecretString.PasswordLength >= 32, 'AUTH_TOKEN must be at least 32 characters');

  // The service: Fargate behind the load balancer, rolled back when a deployment fails.
  template.hasResourceProperties('AWS::ECS::Service', {
    LaunchType: 'FARGATE',
    PlatformVersion: 'LATEST',
    LoadBalancers: [Match.objectLike({ ContainerName: 'ai-proxy', ContainerPort: 8080 })],
    NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
    DeploymentConfiguration: Match.objectLike({
      DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      MinimumHealthyPercent: 100,
    }),
  });
  template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
    HealthCheckPath: '/health/ready',
    Port: 8080,
    Protocol: 'HTTP',
    TargetType: 'ip',
    Matcher: { HttpCode: '200' },
  });
  template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
    DefaultActions: [Match.objectLike({ Type: 'forward', TargetGroupArn: Match.anyValue() })],
  });

  // Target tracking on the service's task count.
  template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
    ScalableDimension: 'ecs:service:DesiredCount',
    ServiceNamespace: 'ecs',
  });
  template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
    PolicyType: 'TargetTrackingScaling',
    TargetTrackingScalingPolicyConfiguration: Match.objectLike({
      PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
    }),
  });

  // Only the load balancer reaches the tasks.
  for (const [, rule] of Object.entries(template.findResources('AWS::EC2::SecurityGroupIngress'))) {
    assert.ok(
      rule.Properties.SourceSecurityGroupId,
      "task ingress must come from the load balancer's security group, not an address range",
    );
  }
}

/** Deployable with plain CloudFormation: no CDK bootstrap parameter, rule, asset or metadata. */
export function assertStandalone(template: Template): void {
  const json = template.toJSON();
  assert.equal(json.Rules, undefined, 'no CheckBootstrapVersion rule');
  assert.deepEqual(Object.keys(json.Parameters).sort(), [
    'AllowedCidr',
    'CpuTargetPercent',
    'ImageUri',
    'LogLevel',
    'MaxTasks',
    'MinTasks',
  ]);
  assert.deepEqual(template.findResources('AWS::CDK::Metadata'), {});
  assert.ok(!JSON.stringify(json).includes('cdk-hnb659fds'), 'no reference to the CDK bootstrap bucket or roles');
  assert.ok(!JSON.stringify(json).includes('aws:cdk:path'), 'no construct paths');
}
