// Fault injection for failures no real cause can stage on a test machine (an image build that
// the engine rejects). It needs BOTH the environment variable AI_PROXY_INSTALLER_FAULT and the
// marker file /etc/ai-proxy-installer-fault-injection, which nothing creates: a release cannot
// trigger it by accident. Documented in docs/troubleshooting.md.
import { existsSync } from 'node:fs';
import type { InstallContext } from './context.ts';

export type FaultPoint = 'build';

export function faultInjected(ctx: InstallContext, point: FaultPoint): boolean {
  return ctx.env.AI_PROXY_INSTALLER_FAULT === point && existsSync(ctx.faultMarker);
}
