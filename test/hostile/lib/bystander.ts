// Well-behaved clients beside an attack: the official openai SDK asking for small chat
// completions (plain and streamed) in a loop. Whatever the attack does, they must see no error.
import OpenAI from 'openai';
import { TOKEN } from './proxy.ts';

export interface BystanderReport {
  requests: number;
  errors: string[];
  /** Milliseconds, sorted. */
  latencies: number[];
}

export function p99(sorted: number[]): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]! : 0;
}

/** Starts `clients` loops against `model`; stop() ends them and returns what they saw. */
export function startBystanders(url: string, model = 'echo', clients = 2): { stop(): Promise<BystanderReport> } {
  const client = new OpenAI({ apiKey: TOKEN, baseURL: `${url}/v1`, maxRetries: 0, timeout: 60_000 });
  const report: BystanderReport = { requests: 0, errors: [], latencies: [] };
  let running = true;
  const once = async (n: number) => {
    const content = `bystander ${n} says hello`;
    const t0 = performance.now();
    if (n % 2 === 0) {
      const r = await client.chat.completions.create({ model, messages: [{ role: 'user', content }] });
      if (r.choices[0]?.message.content !== content) throw new Error(`wrong answer: ${r.choices[0]?.message.content}`);
    } else {
      const stream = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content }],
        stream: true,
      });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      if (text !== content) throw new Error(`wrong streamed answer: ${text}`);
    }
    report.latencies.push(performance.now() - t0);
  };
  const loop = async (id: number) => {
    for (let n = id; running; n += clients) {
      report.requests++;
      try {
        await once(n);
      } catch (error) {
        report.errors.push(String((error as Error).message ?? error));
      }
      // A person or an agent, not a load generator: a request every ~50 ms per client.
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const loops = Array.from({ length: clients }, (_, i) => loop(i));
  let stopped: Promise<BystanderReport> | undefined;
  return {
    stop: () =>
      (stopped ??= (async () => {
        running = false;
        await Promise.all(loops);
        report.latencies.sort((a, b) => a - b);
        return report;
      })()),
  };
}
