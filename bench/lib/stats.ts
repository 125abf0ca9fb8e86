// Percentiles and number formatting for the benchmark tables.

/** Nearest-rank percentile of an ascending-sorted array (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  // The epsilon keeps 99.9% of 1,000 at rank 999: 0.999 * 1000 is 999.0000000000001 in floats.
  const rank = Math.ceil((p / 100) * sorted.length - 1e-9);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export function sortedCopy(values: readonly number[]): number[] {
  return Array.from(Float64Array.from(values).sort());
}

export function median(values: readonly number[]): number {
  return percentile(sortedCopy(values), 50);
}

/** Microseconds as milliseconds with 2 decimals ("1.23"), or "-" when missing. */
export function ms(us: number | undefined): string {
  return us === undefined || Number.isNaN(us) ? '-' : (us / 1000).toFixed(2);
}

/** A signed difference in microseconds shown as milliseconds ("+0.31"). */
export function deltaMs(us: number | undefined): string {
  if (us === undefined || Number.isNaN(us)) return '-';
  return `${us >= 0 ? '+' : ''}${(us / 1000).toFixed(2)}`;
}

export function mib(bytes: number | undefined): string {
  return bytes === undefined || Number.isNaN(bytes) ? '-' : (bytes / 1024 / 1024).toFixed(1);
}

export function int(n: number | undefined): string {
  return n === undefined || Number.isNaN(n) ? '-' : Math.round(n).toLocaleString('en-US');
}

export function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '-';
  return `${(a / b).toFixed(2)}x`;
}

/** A markdown table; also readable as plain text in a terminal. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
