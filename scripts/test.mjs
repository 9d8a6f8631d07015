#!/usr/bin/env node
// Runs every test of the monorepo: unit and process tests of each package and service,
// the cross-process e2e tests in test/, then (unless --unit) the black-box conformance
// areas that pass, from ../shared/conformance. Prints one closing line: "N passed, N failed".
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));

function testFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true })
    .filter((f) => String(f).endsWith('.test.js'))
    .map((f) => path.join(dir, String(f)))
    .sort();
}

const groups = [];
for (const kind of ['packages', 'services']) {
  for (const name of fs.readdirSync(path.join(root, kind)).sort()) {
    const files = testFiles(path.join(root, kind, name, 'dist', 'test'));
    if (files.length) groups.push({ name: `${kind}/${name}`, files });
  }
}
if (!args.has('--unit')) {
  const e2e = testFiles(path.join(root, 'test', 'dist', 'e2e'));
  if (e2e.length) groups.push({ name: 'test/e2e', files: e2e });
}

let passed = 0;
let failed = 0;
const failures = [];
const tapFile = path.join(root, 'node_modules', '.cache', 'test-results.tap');
fs.mkdirSync(path.dirname(tapFile), { recursive: true });
for (const g of groups) {
  console.log(`\n=== ${g.name} (${g.files.length} files)`);
  const r = spawnSync(process.execPath, [
    '--test', '--test-concurrency=2', '--test-timeout=120000',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tapFile}`,
    ...g.files,
  ], { stdio: 'inherit', cwd: root, timeout: 15 * 60 * 1000 });
  const tap = fs.existsSync(tapFile) ? fs.readFileSync(tapFile, 'utf8') : '';
  const p = Number(/^# pass (\d+)/m.exec(tap)?.[1] ?? 0);
  const f = Number(/^# fail (\d+)/m.exec(tap)?.[1] ?? 0);
  passed += p;
  failed += f;
  if (f || r.status !== 0) failures.push(g.name);
  if (r.status !== 0 && f === 0) failed += 1; // crashed or timed out without a TAP count
}

if (!args.has('--unit') && !args.has('--no-conformance')) {
  console.log('\n=== conformance (../shared/conformance, areas that pass)');
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'conformance.mjs'), '--ci'], { stdio: ['ignore', 'pipe', 'inherit'], cwd: root, timeout: 20 * 60 * 1000 });
  const out = r.stdout?.toString() ?? '';
  process.stdout.write(out);
  const m = /^(\d+) passed, (\d+) failed/m.exec(out);
  if (m) { passed += Number(m[1]); failed += Number(m[2]); }
  if (!m || r.status !== 0) { failures.push('conformance'); if (!m) failed += 1; }
}

if (failures.length) console.log(`\nfailing groups: ${failures.join(', ')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
