// Synthesizes the Fargate stack to a plain CloudFormation template, in memory. Shared by the
// synth script and the test that checks the committed template is current.
import { App, DefaultStackSynthesizer } from 'aws-cdk-lib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AiProxyFargateStack, type AiProxyStackProps } from './stack.ts';

export const STACK_NAME = 'ai-proxy';
export const TEMPLATE_PATH = join(dirname(fileURLToPath(import.meta.url)), 'ai-proxy-fargate.template.json');

export function buildStack(props: AiProxyStackProps = {}): AiProxyFargateStack {
  // No bootstrap rule, version report or construct paths: the template must deploy with plain
  // CloudFormation and be identical on every machine that synthesizes it.
  const app = new App({ analyticsReporting: false, context: { 'aws:cdk:enable-path-metadata': false } });
  return new AiProxyFargateStack(app, STACK_NAME, {
    ...props,
    synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
    description: 'ai-proxy on AWS Fargate behind an Application Load Balancer (deploy/ecs, docs/scale-out.md)',
  });
}

/** The template as committed: two-space JSON with a final newline. */
export function renderTemplate(props: AiProxyStackProps = {}): string {
  const stack = buildStack(props);
  const assembly = (stack.node.root as App).synth();
  return `${JSON.stringify(assembly.getStackArtifact(stack.artifactId).template, null, 2)}\n`;
}
