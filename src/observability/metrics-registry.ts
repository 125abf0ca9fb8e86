// A minimal Prometheus text-format registry: counters, gauges and histograms keyed by a
// pre-rendered label string, so recording a sample is a Map lookup and an addition.

type Labels = Record<string, string | number>;

function escape(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** Renders {a="x",b="y"} once; callers on hot paths cache the result. */
export function labelKey(labels: Labels): string {
  let out = '';
  for (const k in labels) out += `${out ? ',' : ''}${k}="${escape(String(labels[k]))}"`;
  return out;
}

interface Metric {
  render(): string;
}

export class Counter implements Metric {
  private values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' = 'counter',
  ) {}
  inc(key = '', n = 1): void {
    this.values.set(key, (this.values.get(key) ?? 0) + n);
  }
  set(key: string, n: number): void {
    this.values.set(key, n);
  }
  get(key = ''): number {
    return this.values.get(key) ?? 0;
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} ${this.type}\n`;
    for (const [k, v] of this.values) out += `${this.name}${k ? `{${k}}` : ''} ${v}\n`;
    return out;
  }
}

export class Gauge extends Counter {
  constructor(name: string, help: string) {
    super(name, help, 'gauge');
  }
  dec(key = '', n = 1): void {
    this.inc(key, -n);
  }
}

/** Samples computed at scrape time (memory, uptime). */
export class CallbackGauge implements Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => number,
  ) {}
  render(): string {
    return `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} gauge\n${this.name} ${this.read()}\n`;
  }
}

interface Series {
  counts: Float64Array;
  sum: number;
  count: number;
}

export class Histogram implements Metric {
  private series = new Map<string, Series>();
  /** le="..." of each bucket, then of +Inf. */
  private readonly le: string[];
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {
    this.le = [...buckets, '+Inf'].map((le) => labelKey({ le }));
  }
  observe(key: string, value: number): void {
    let s = this.series.get(key);
    if (!s) {
      s = { counts: new Float64Array(this.buckets.length), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    const b = this.buckets;
    for (let i = 0; i < b.length; i++) {
      if (value <= b[i]!) {
        s.counts[i]!++;
        break;
      }
    }
    s.sum += value;
    s.count++;
  }
  count(key = ''): number {
    return this.series.get(key)?.count ?? 0;
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} histogram\n`;
    for (const [k, s] of this.series) {
      const sep = k ? `${k},` : '';
      let cumulative = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        cumulative += s.counts[i]!;
        out += `${this.name}_bucket{${sep}${this.le[i]}} ${cumulative}\n`;
      }
      out += `${this.name}_bucket{${sep}${this.le[this.buckets.length]}} ${s.count}\n`;
      out += `${this.name}_sum${k ? `{${k}}` : ''} ${s.sum}\n${this.name}_count${k ? `{${k}}` : ''} ${s.count}\n`;
    }
    return out;
  }
}

export class Registry {
  private metrics: Metric[] = [];
  register<M extends Metric>(m: M): M {
    this.metrics.push(m);
    return m;
  }
  render(): string {
    return this.metrics.map((m) => m.render()).join('');
  }
}
