// DATABASE_URL for logs, /health and `ai-proxy config`: everything but the password. Its own
// module so the main script can use it without loading the PostgreSQL store (pg.cjs).
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}
