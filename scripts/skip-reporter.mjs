// A node:test reporter (next to spec, see run-tests.mjs) that writes one JSON line per skipped
// test: file, title and reason. run-tests.mjs prints them at the end of the run, so what did not
// run is in the summary, not only scrolled past in the middle of the output.
import { relative } from 'node:path';

export default async function* skipReporter(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { skip, todo, name, file } = event.data;
    if (skip === undefined && todo === undefined) continue;
    const reason =
      typeof skip === 'string' ? skip : typeof todo === 'string' ? `todo: ${todo}` : skip ? 'skipped' : 'todo';
    yield `${JSON.stringify({ file: file ? relative(process.cwd(), file) : '', name, reason })}\n`;
  }
}
