// Runs a mock upstream as its own process (benchmarks keep it off the proxy's event loop):
//   node --import tsx test/mocks/run.ts openai|anthropic [PORT] [EVENT_DELAY_MS]
// EVENT_DELAY_MS spaces out streamed events (long-lived streams for memory and drain tests).
import { startAnthropicMock } from './anthropic.ts';
import { startOpenAIMock } from './openai.ts';

const [kind = 'openai', portText = '0', delayText = '0'] = process.argv.slice(2);
const start = kind === 'anthropic' ? startAnthropicMock : startOpenAIMock;
const m = await start({ port: Number(portText), record: false, eventDelayMs: Number(delayText) });
process.stdout.write(`${JSON.stringify({ kind, url: m.url, port: m.port })}\n`);
const stop = () => m.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
