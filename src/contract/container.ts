// The container as both sides see it: the proxy reads these paths and files, the installer
// mounts, writes and names them. Constants only, so the proxy's serve path and `ai-proxy
// healthcheck` can import it for free.

/** The configuration folder: /srv/ai-proxy bind-mounted read-only (single VPS), or Swarm's config target. */
export const CONFIG_DIR = '/app/config';
/** The configuration files inside CONFIG_DIR. */
export const ENV_FILE = '.env';
export const PROVIDER_FILE = 'provider-config.yaml';
/** ACME's account key and certificates: the container's one writable mount (only with --domain). */
export const ACME_STATE_DIR = '/app/acme';
/**
 * Client keys and the usage ledger (SQLite): /srv/ai-proxy/data bind-mounted read-write on a
 * single VPS, where the installer sets DATA_DIR to it. Kept across upgrades and --uninstall.
 */
export const DATA_DIR = '/app/data';
/** Secret files, one per variable, as Docker Swarm, Kubernetes and Compose mount them. */
export const SECRETS_DIR = '/run/secrets';
/** The executable inside the image (entry point and health check). */
export const EXECUTABLE = '/app/ai-proxy';
/** The image's user: the config files are readable by its group, never writable. */
export const CONTAINER_UID = 1001;
export const CONTAINER_GID = 1001;
