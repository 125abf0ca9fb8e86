// npx tsx deploy/ecs/synth.ts            rewrites ai-proxy-fargate.template.json from stack.ts
// npx tsx deploy/ecs/synth.ts --check    exits 1 when the committed template is out of date
// CERTIFICATE_ARN=arn:... npx tsx deploy/ecs/synth.ts --out FILE   an HTTPS variant elsewhere
import { readFileSync, writeFileSync } from 'node:fs';
import { renderTemplate, TEMPLATE_PATH } from './synthesize.ts';

const args = process.argv.slice(2);
const check = args.includes('--check');
const outIndex = args.indexOf('--out');
const out = outIndex === -1 ? TEMPLATE_PATH : args[outIndex + 1];
const unknown = args.filter((a, i) => a !== '--check' && a !== '--out' && i !== outIndex + 1);
if (out === undefined || unknown.length > 0) {
  console.error(
    `synth: unexpected arguments ${unknown.join(' ') || '(--out needs a file)'}; usage: synth.ts [--check] [--out FILE]`,
  );
  process.exit(2);
}
const certificateArn = process.env.CERTIFICATE_ARN || undefined;
const text = renderTemplate({ certificateArn });

if (check) {
  let current = '';
  try {
    current = readFileSync(out, 'utf8');
  } catch {
    // a missing file is simply out of date
  }
  if (current !== text) {
    console.error(`synth: ${out} is not what deploy/ecs/stack.ts synthesizes; run: npx tsx deploy/ecs/synth.ts`);
    process.exit(1);
  }
  console.log(`synth: ${out} is current`);
} else {
  writeFileSync(out, text);
  console.log(`synth: wrote ${out} (${text.length} bytes${certificateArn ? ', HTTPS' : ''})`);
}
