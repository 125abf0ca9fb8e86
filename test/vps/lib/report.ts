// The table printed at the end of the suite: one row per scenario, in the order they finished.
export interface Row {
  scenario: string;
  release: string;
  /** the installer exit code the scenario was about (undefined when it failed before running it) */
  exitCode: number | undefined;
  seconds: number;
  status: 'pass' | 'FAIL';
  /** a measured number worth showing, e.g. the upgrade's downtime */
  note?: string;
  /** position in the suite as written (rows arrive in the order scenarios finish) */
  order?: number;
}

const rows: Row[] = [];

export function record(row: Row): void {
  rows.push(row);
}

/** The rows in the order the scenarios are written in the suite. */
export function recorded(): readonly Row[] {
  return [...rows].sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
}

export function formatTable(list: readonly Row[], totalSeconds?: number): string {
  const header = ['scenario', 'debian', 'exit', 'seconds', 'result', 'note'];
  const body = list.map((r) => [
    r.scenario,
    r.release,
    r.exitCode === undefined ? '-' : String(r.exitCode),
    r.seconds.toFixed(1),
    r.status,
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 2 || i === 3 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
  if (totalSeconds !== undefined)
    out.push(
      '',
      `${list.length} scenarios, ${list.filter((r) => r.status === 'FAIL').length} failed, suite wall time ${totalSeconds.toFixed(1)} s`,
    );
  return out.join('\n');
}
