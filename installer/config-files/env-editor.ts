// A line-preserving .env editor. The operator's file is theirs: every comment, blank line,
// order, quoting and unrelated value must survive; only the keys we set change, in place.
// Values are read with the proxy's own parser (src/config/env.ts), never a second one.
import { parseEnv } from '../../src/config/env.ts';

const ASSIGNMENT = /^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_]*)(\s*=\s*)(.*)$/;

function splitLines(text: string): { lines: string[]; newline: string; trailing: boolean } {
  const newline = text.includes('\r\n') ? '\r\n' : '\n';
  const trailing = text.endsWith('\n');
  const body = trailing ? text.slice(0, text.endsWith('\r\n') ? -2 : -1) : text;
  return { lines: body === '' && !trailing ? [] : body.split(newline), newline, trailing };
}

/** Where KEY is assigned; the last assignment wins, as in the proxy's parser and in shells. */
function findAssignment(lines: string[], key: string): number {
  for (let i = lines.length - 1; i >= 0; i--) {
    const match = ASSIGNMENT.exec(lines[i] ?? '');
    if (match && match[2] === key) return i;
  }
  return -1;
}

/** KEY's value as the proxy reads it, or undefined; throws the proxy's EnvError on a malformed file. */
export function getEnvValue(text: string, key: string): string | undefined {
  return parseEnv(text)[key];
}

/** Removes KEY's assignments (and only those lines); the text is unchanged when there is none. */
export function removeEnvValue(text: string, key: string): string {
  const newline = text.includes('\r\n') ? '\r\n' : '\n';
  const pattern = new RegExp(`^\\s*(?:export\\s+)?${key}\\s*=`);
  return text
    .split(newline)
    .filter((line) => !pattern.test(line))
    .join(newline);
}

/** Keeps an inline comment (` # ...`) after the value when the old value was unquoted. */
function trailingComment(raw: string): string {
  const value = raw.trimEnd();
  if (value.startsWith("'")) {
    const end = value.indexOf("'", 1);
    return end > 0 ? value.slice(end + 1) : '';
  }
  if (value.startsWith('"')) {
    // Inside double quotes a backslash escapes the next character, as the proxy's parser reads it.
    for (let i = 1; i < value.length; i++) {
      if (value[i] === '\\') i++;
      else if (value[i] === '"') return value.slice(i + 1);
    }
    return '';
  }
  const comment = value.search(/\s#/);
  return comment >= 0 ? value.slice(comment) : '';
}

/**
 * Sets KEY=value. An existing assignment is changed in place (its `export`, spacing, quote
 * style and inline comment kept); a missing one is appended. Values we write are plain tokens
 * (digits, base64url, paths, URLs, e-mail addresses, comma-separated names), so they never need quoting.
 */
export function setEnvValue(text: string, key: string, value: string): string {
  if (!/^[A-Za-z0-9_.:\/@,+-]*$/.test(value))
    throw new Error(`refusing to write an unquoted value with special characters for ${key}`);
  const { lines, newline, trailing } = splitLines(text);
  const index = findAssignment(lines, key);
  if (index >= 0) {
    const match = ASSIGNMENT.exec(lines[index] ?? '');
    if (match) {
      const [, prefix = '', name = key, equals = '=', raw = ''] = match;
      const trimmed = raw.trim();
      const quote = trimmed[0] === '"' || trimmed[0] === "'" ? trimmed[0] : '';
      lines[index] = `${prefix}${name}${equals}${quote}${value}${quote}${trailingComment(raw)}`;
    }
    return lines.join(newline) + (trailing ? newline : '');
  }
  const separator = text === '' || trailing ? '' : newline;
  return `${text}${separator}${key}=${value}${newline}`;
}
