// Where the config folder is: --config-dir, else AI_PROXY_CONFIG_DIR, else /app/config (the
// container's read-only mount).
export const DEFAULT_CONFIG_DIR = '/app/config';

export function resolveConfigDir(
  flag: string | undefined,
  env: Record<string, string | undefined> = process.env,
): string {
  return flag || env.AI_PROXY_CONFIG_DIR || DEFAULT_CONFIG_DIR;
}
