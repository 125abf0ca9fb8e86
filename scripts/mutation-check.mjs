#!/usr/bin/env node
// The mutation check: for each behaviour below, a deliberately broken copy of the tree must make
// the named tests fail. A green suite proves little if it stays green when the feature is gone.
//
// Each mutation (scripts/mutations.mjs) names a file and an exact fragment of it, and what replaces it. The fragment must
// occur exactly once: when code moves or changes, the check fails loudly instead of mutating
// nothing. Each mutant is a copy of the tree (node_modules and pkg/ linked, not copied) in the temp
// folder, so mutants run side by side (MUTATION_CONCURRENCY, default 2) and the checkout is never
// touched. Only the named tests run, from source under tsx: seconds per mutant, no rebuild.
//
//   node scripts/mutation-check.mjs            # all of them, a table at the end; exit 1 unless all fail as they must
//   node scripts/mutation-check.mjs abort 413  # only those whose id contains one of the words
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { MUTATIONS } from './mutations.mjs';

const ROOT = resolve(import.meta.dirname, '..');

/** What a mutant needs of the tree; node_modules and pkg/ are linked. */
const COPIED = ['src', 'installer', 'test', 'config', 'release-template', 'scripts', 'package.json', 'tsconfig.json'];
const LINKED = ['node_modules', 'pkg'];

function applyEdits(tree, edits) {
  for (const edit of edits) {
    const path = join(tree, edit.file);
    if (!existsSync(path)) throw new Error(`${edit.file} does not exist (moved?): update the mutation`);
    const text = readFileSync(path, 'utf8');
    const count = text.split(edit.find).length - 1;
    if (count !== 1)
      throw new Error(
        `${edit.file}: the fragment to mutate occurs ${count} times, not once (code moved or changed?): ${JSON.stringify(edit.find.trim().slice(0, 80))}`,
      );
    writeFileSync(
      path,
      text.replace(edit.find, () => edit.replace),
    );
  }
}

function copyTree() {
  const tree = mkdtempSync(join(tmpdir(), 'aip-mutant-'));
  for (const entry of COPIED)
    cpSync(join(ROOT, entry), join(tree, entry), {
      recursive: true,
      filter: (source) => !source.includes(`${join('test', 'vps', '.cache')}`),
    });
  for (const entry of LINKED) if (existsSync(join(ROOT, entry))) symlinkSync(join(ROOT, entry), join(tree, entry));
  return tree;
}

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Runs the named tests of one file in the mutant; resolves with the exit code and TAP output. */
function runTests(tree, file, names) {
  const pattern = `^(${names.map(escapeRegExp).join('|')})$`;
  return new Promise((done) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-reporter=tap', `--test-name-pattern=${pattern}`, file],
      { cwd: tree, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PROXY_TARGET: 'source' } },
    );
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

/** killed: every named test failed. survived: one passed. error: the mutant could not be judged. */
async function check(mutation) {
  const started = Date.now();
  const tree = copyTree();
  try {
    applyEdits(tree, mutation.edits);
    const byFile = new Map();
    for (const expected of mutation.fails)
      byFile.set(expected.file, [...(byFile.get(expected.file) ?? []), expected.name]);
    const outcomes = [];
    for (const [file, names] of byFile) {
      const { output } = await runTests(tree, file, names);
      for (const name of names) {
        const line = new RegExp(`^\\s*(not ok|ok) \\d+ - ${escapeRegExp(name)}( #.*)?$`, 'm').exec(output);
        if (!line) outcomes.push({ name, result: 'error', detail: `the test did not run:\n${output.slice(-1500)}` });
        else if (line[2]) outcomes.push({ name, result: 'error', detail: `the test was skipped (${line[2].trim()})` });
        else outcomes.push({ name, result: line[1] === 'not ok' ? 'killed' : 'survived' });
      }
    }
    const result = outcomes.some((o) => o.result === 'error')
      ? 'error'
      : outcomes.every((o) => o.result === 'killed')
        ? 'killed'
        : 'survived';
    return { mutation, result, outcomes, seconds: (Date.now() - started) / 1000 };
  } catch (error) {
    return {
      mutation,
      result: 'error',
      outcomes: [{ name: '-', result: 'error', detail: error.message }],
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}

async function main() {
  const words = process.argv.slice(2);
  const chosen = words.length ? MUTATIONS.filter((m) => words.some((w) => m.id.includes(w))) : MUTATIONS;
  if (chosen.length === 0) {
    console.error(
      `mutation-check: no mutation matches ${words.join(', ')}; ids: ${MUTATIONS.map((m) => m.id).join(', ')}`,
    );
    process.exit(2);
  }
  const concurrency = Number(process.env.MUTATION_CONCURRENCY ?? 2);
  const started = Date.now();
  const results = [];
  const queue = [...chosen];
  await Promise.all(
    Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
      for (let m = queue.shift(); m; m = queue.shift()) {
        const r = await check(m);
        console.log(`# mutant ${m.id}: ${r.result} (${r.seconds.toFixed(1)} s)`);
        results.push(r);
      }
    }),
  );
  results.sort((a, b) => chosen.indexOf(a.mutation) - chosen.indexOf(b.mutation));
  console.log('\nMutation check: each behaviour broken on purpose must make its tests fail');
  for (const r of results) {
    const mark = r.result === 'killed' ? 'ok  ' : r.result === 'survived' ? 'SURVIVED' : 'ERROR';
    console.log(`${mark.padEnd(8)} ${r.mutation.behaviour} (${r.seconds.toFixed(1)} s)`);
    for (const e of r.mutation.edits)
      console.log(`         mutated ${e.file}: ${e.find.trim().split('\n')[0].slice(0, 90)}`);
    for (const o of r.outcomes) {
      console.log(`         ${o.result.padEnd(8)} ${o.name}`);
      if (o.detail) console.log(o.detail.replace(/^/gm, '           '));
    }
  }
  const bad = results.filter((r) => r.result !== 'killed');
  // one line per behaviour, for a CI summary (.ci/run prints it at the very end)
  if (process.env.MUTATION_SUMMARY_FILE)
    writeFileSync(
      process.env.MUTATION_SUMMARY_FILE,
      results
        .map(
          (r) =>
            `${r.result === 'killed' ? 'killed  ' : r.result.toUpperCase().padEnd(8)} ${r.mutation.behaviour} (${r.mutation.edits.map((e) => e.file).join(', ')})`,
        )
        .join('\n') + '\n',
    );
  console.log(
    `${results.length - bad.length} of ${results.length} mutants killed in ${((Date.now() - started) / 1000).toFixed(1)} s${bad.length ? `; not killed: ${bad.map((r) => r.mutation.id).join(', ')}` : ''}`,
  );
  process.exit(bad.length ? 1 : 0);
}

await main();
