// Where the config folder is: --config-dir, else AI_PROXY_CONFIG_DIR, else /app/config (the
// container's read-only mount).
import { CONFIG_DIR } from '../contract/container.ts';

export function resolveConfigDir(
  flag: string | undefined,
  env: Record<string, string | undefined> = process.env,
): string {
  return flag || env.AI_PROXY_CONFIG_DIR || CONFIG_DIR;
}
