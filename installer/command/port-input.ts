// Port parsing. The parser is deliberately strict: the value ends up in
// .env, the Dockerfile and a port binding, and anything Number() would forgive (" 80", "+80",
// "8e3", "0x50", "080", Unicode digits) is more likely a typo than an intention.

export type PortResult = { ok: true; port: number } | { ok: false; reason: string };

const PLAIN_DECIMAL = /^[1-9][0-9]{0,4}$/;

export function parsePort(input: string): PortResult {
  if (input === '') return { ok: false, reason: 'the port is empty' };
  if (input === '0') return { ok: false, reason: 'port 0 is not a fixed port; use 1-65535' };
  if (!PLAIN_DECIMAL.test(input)) {
    return {
      ok: false,
      reason: `"${printable(input)}" is not a plain decimal number from 1 to 65535 (no spaces, signs, exponents or leading zeros)`,
    };
  }
  const port = Number(input);
  if (port > 65535) return { ok: false, reason: `${input} is above 65535, the highest TCP port` };
  return { ok: true, port };
}

function printable(input: string): string {
  const shown = input.length > 20 ? `${input.slice(0, 20)}…` : input;
  return JSON.stringify(shown).slice(1, -1);
}
