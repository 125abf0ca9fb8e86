// The floor: the load generator talks to the mock upstream itself.
import type { Target } from './types.ts';

export const direct: Target = {
  name: 'direct',
  describe: 'mock upstream, no proxy (the floor)',
  async start(ctx) {
    return {
      url: `http://127.0.0.1:${ctx.upstreamPort}/v1/chat/completions`,
      headers: { Authorization: 'Bearer sk-bench-upstream' },
      // The upstream's memory is not a proxy's: direct has none of its own.
      pids: () => [],
      startMs: 0,
      notes: [],
      async stop() {},
    };
  },
};
