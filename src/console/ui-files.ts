// The console's static files: its own (ui/) and uPlot's script and stylesheet (ui/vendor.json
// names them in node_modules). Read from disk in development; the release bundle replaces this
// module with one that holds the same files as strings (scripts/release/bundle.mjs), so the
// executable needs nothing beside it and a VPS without internet serves the charts.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function readUiFiles(): Record<string, string> {
  const dir = fileURLToPath(new URL('./ui/', import.meta.url));
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const files: Record<string, string> = {};
  for (const name of readdirSync(dir)) if (name !== 'vendor.json') files[name] = readFileSync(join(dir, name), 'utf8');
  const vendor = JSON.parse(readFileSync(join(dir, 'vendor.json'), 'utf8')) as Record<string, string>;
  for (const [name, path] of Object.entries(vendor)) files[name] = readFileSync(join(root, path), 'utf8');
  return files;
}
