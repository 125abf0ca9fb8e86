// ai-proxy on AWS Fargate: a VPC, an Application Load Balancer, a hardened task and a service
// that scales on CPU. Synthesized offline (deploy/ecs/synth.ts) to ai-proxy-fargate.template.json,
// which operators deploy with plain CloudFormation; no CDK bootstrap or CDK CLI needed.
import { CfnOutput, CfnParameter, Duration, RemovalPolicy, Size, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

/** The port the proxy listens on inside the task (PORT); the image's own default. */
export const CONTAINER_PORT = 8080;
export const DEFAULT_PROVIDER_KEYS = ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY'];
/**
 * Secret keys every stack has besides the provider keys: DATABASE_URL starts empty (client keys
 * and the ledger off); set to a PostgreSQL URL, every task shares one set of keys, limits and
 * budgets (docs/keys.md).
 */
export const STORE_KEYS = ['DATABASE_URL'];

export interface AiProxyStackProps extends StackProps {
  /** ACM certificate ARN: adds an HTTPS listener and turns port 80 into a redirect. */
  certificateArn?: string;
  /** Secret keys besides AUTH_TOKEN, passed as environment variables (referenced as ${NAME}). */
  providerKeys?: string[];
}

export class AiProxyFargateStack extends Stack {
  constructor(scope: Construct, id: string, props: AiProxyStackProps = {}) {
    super(scope, id, props);
    const providerKeys = props.providerKeys ?? DEFAULT_PROVIDER_KEYS;

    const image = new CfnParameter(this, 'ImageUri', {
      type: 'String',
      description:
        'The ai-proxy image in a registry the tasks can pull, e.g. ACCOUNT.dkr.ecr.REGION.amazonaws.com/ai-proxy:0.1.0-config (docs/scale-out.md: the release image with your provider-config.yaml in /app/config)',
      allowedPattern: '.+',
      constraintDescription: 'set ImageUri to the image you pushed (docs/scale-out.md)',
    });
    const minTasks = new CfnParameter(this, 'MinTasks', {
      type: 'Number',
      default: 2,
      minValue: 1,
      description: 'Fewest running tasks',
    });
    const maxTasks = new CfnParameter(this, 'MaxTasks', {
      type: 'Number',
      default: 10,
      minValue: 1,
      description: 'Most running tasks under load',
    });
    const cpuTarget = new CfnParameter(this, 'CpuTargetPercent', {
      type: 'Number',
      default: 70,
      minValue: 10,
      maxValue: 90,
      description: 'Average CPU utilization that target tracking keeps the service at',
    });
    const logLevel = new CfnParameter(this, 'LogLevel', {
      type: 'String',
      default: 'info',
      allowedValues: ['debug', 'info', 'warn', 'error'],
    });
    const allowedCidr = new CfnParameter(this, 'AllowedCidr', {
      type: 'String',
      default: '0.0.0.0/0',
      allowedPattern: '^\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}$',
      description: 'Client addresses allowed to reach the load balancer',
    });

    // Two AZs, tasks in private subnets; one NAT gateway carries their calls to the providers,
    // the registry, Secrets Manager and CloudWatch Logs.
    const vpc = new ec2.Vpc(this, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const cluster = new ecs.Cluster(this, 'Cluster', { vpc });

    // AUTH_TOKEN is generated here and never appears in the template; provider keys start empty
    // (their providers stay disabled) until the operator fills them in (docs/scale-out.md).
    const secret = new secretsmanager.Secret(this, 'Secrets', {
      description: 'ai-proxy: AUTH_TOKEN (generated), provider API keys and DATABASE_URL',
      generateSecretString: {
        secretStringTemplate: JSON.stringify(Object.fromEntries([...providerKeys, ...STORE_KEYS].map((k) => [k, '']))),
        generateStringKey: 'AUTH_TOKEN',
        passwordLength: 48,
        excludePunctuation: true,
        includeSpace: false,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Fargate's smallest size with 0.5 vCPU is 1 GiB; the container itself is held to the
    // single-VPS limits (512 MiB hard, 0.5 CPU).
    const task = new ecs.FargateTaskDefinition(this, 'Task', {
      family: 'ai-proxy',
      cpu: 512,
      memoryLimitMiB: 1024,
      runtimePlatform: {
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
      },
    });
    // An init process reaps children and forwards SIGTERM; no capability is needed to listen
    // on an unprivileged port.
    const linux = new ecs.LinuxParameters(this, 'Linux', { initProcessEnabled: true });
    linux.dropCapabilities(ecs.Capability.ALL);
    // /tmp as on the VPS: a small tmpfs (Fargate has taken tmpfs since January 2026). A task
    // storage bind mount would not do: Fargate makes it writable by root only.
    linux.addTmpfs({
      containerPath: '/tmp',
      size: 16,
      mountOptions: [
        ecs.TmpfsMountOption.RW,
        ecs.TmpfsMountOption.NOEXEC,
        ecs.TmpfsMountOption.NOSUID,
        ecs.TmpfsMountOption.NODEV,
      ],
    });

    task.addContainer('ai-proxy', {
      image: ecs.ContainerImage.fromRegistry(image.valueAsString),
      command: ['serve'],
      essential: true,
      user: '1001:1001',
      readonlyRootFilesystem: true,
      privileged: false,
      cpu: 512,
      memoryLimitMiB: 512,
      environment: {
        PORT: String(CONTAINER_PORT),
        LOG_LEVEL: logLevel.valueAsString,
        AI_PROXY_CONFIG_DIR: '/app/config',
      },
      secrets: Object.fromEntries(
        ['AUTH_TOKEN', ...providerKeys, ...STORE_KEYS].map((k) => [k, ecs.Secret.fromSecretsManager(secret, k)]),
      ),
      portMappings: [{ containerPort: CONTAINER_PORT, protocol: ecs.Protocol.TCP, name: 'http' }],
      // The image has no shell: exec form, the proxy's own probe command.
      healthCheck: {
        command: ['CMD', '/app/ai-proxy', 'healthcheck', '--port', String(CONTAINER_PORT)],
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(10),
      },
      // The proxy drains for up to 10 s after SIGTERM.
      stopTimeout: Duration.seconds(20),
      logging: ecs.LogDrivers.awsLogs({
        logGroup,
        streamPrefix: 'ai-proxy',
        mode: ecs.AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(4),
      }),
      linuxParameters: linux,
      ulimits: [{ name: ecs.UlimitName.NOFILE, softLimit: 65536, hardLimit: 65536 }],
    });

    const albSg = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc,
      description: 'ai-proxy load balancer',
      allowAllOutbound: false,
    });
    const alb = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc,
      internetFacing: true,
      securityGroup: albSg,
      dropInvalidHeaderFields: true,
      // Streamed completions can pause between chunks for as long as a provider's timeout (60 s).
      idleTimeout: Duration.seconds(120),
    });
    const taskSg = new ec2.SecurityGroup(this, 'TaskSecurityGroup', {
      vpc,
      description: 'ai-proxy tasks: only the load balancer reaches them',
    });

    const service = new ecs.FargateService(this, 'Service', {
      cluster,
      taskDefinition: task,
      // No desiredCount: the scalable target raises the service to MinTasks, and stack updates
      // leave the running count alone instead of resetting it in the middle of a load peak.
      platformVersion: ecs.FargatePlatformVersion.LATEST,
      securityGroups: [taskSg],
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      healthCheckGracePeriod: Duration.seconds(30),
      enableExecuteCommand: false,
    });

    const targets = new elbv2.ApplicationTargetGroup(this, 'Targets', {
      vpc,
      port: CONTAINER_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      targets: [service.loadBalancerTarget({ containerName: 'ai-proxy', containerPort: CONTAINER_PORT })],
      healthCheck: {
        path: '/health/ready',
        healthyHttpCodes: '200',
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
      // ECS sends SIGTERM only after deregistration: new requests stop before the drain starts.
      deregistrationDelay: Duration.seconds(15),
    });

    const peer = ec2.Peer.ipv4(allowedCidr.valueAsString);
    if (props.certificateArn) {
      alb.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [elbv2.ListenerCertificate.fromArn(props.certificateArn)],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        defaultTargetGroups: [targets],
        open: false,
      });
      alb.addListener('Http', {
        port: 80,
        defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
        open: false,
      });
      albSg.addIngressRule(peer, ec2.Port.tcp(443), 'HTTPS from allowed clients');
    } else {
      alb.addListener('Http', { port: 80, defaultTargetGroups: [targets], open: false });
    }
    albSg.addIngressRule(peer, ec2.Port.tcp(80), 'HTTP from allowed clients');
    albSg.addEgressRule(taskSg, ec2.Port.tcp(CONTAINER_PORT), 'to the tasks');
    taskSg.addIngressRule(albSg, ec2.Port.tcp(CONTAINER_PORT), 'from the load balancer');

    const scaling = service.autoScaleTaskCount({
      minCapacity: minTasks.valueAsNumber,
      maxCapacity: maxTasks.valueAsNumber,
    });
    scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: cpuTarget.valueAsNumber,
      scaleInCooldown: Duration.seconds(300),
      scaleOutCooldown: Duration.seconds(60),
    });

    new CfnOutput(this, 'Url', {
      value: `${props.certificateArn ? 'https' : 'http'}://${alb.loadBalancerDnsName}`,
      description: 'Base URL of the proxy (…/v1/chat/completions)',
    });
    new CfnOutput(this, 'SecretArn', {
      value: secret.secretArn,
      description: 'Secrets Manager secret with AUTH_TOKEN, the provider keys and DATABASE_URL',
    });
    new CfnOutput(this, 'LogGroupName', { value: logGroup.logGroupName });
    new CfnOutput(this, 'ClusterName', { value: cluster.clusterName });
    new CfnOutput(this, 'ServiceName', { value: service.serviceName });
  }
}
