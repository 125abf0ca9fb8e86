// Reading typed values out of the .env record, each failure one EnvError naming the variable.

/** An .env problem, with the line it was found on when there is one. */
export class EnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvError';
  }
}

export function optionalPort(record: Record<string, string | undefined>, name: string): number | undefined {
  const text = record[name]?.trim();
  if (!text) return undefined;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535)
    throw new EnvError(`${name}: "${text}" is not a port number (use 1-65535)`);
  return port;
}

/** Whole seconds from 0 to `max`; `fallback` when unset. */
export function seconds(
  record: Record<string, string | undefined>,
  name: string,
  fallback: number,
  max: number,
): number {
  const text = record[name]?.trim();
  if (!text) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > max)
    throw new EnvError(`${name}: "${text}" is not a number of seconds from 0 to ${max}`);
  return value;
}
