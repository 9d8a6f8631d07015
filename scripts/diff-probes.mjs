#!/usr/bin/env node
// Differential probes: runs the scenario files in scripts/probes (with ../shared/conformance's
// harness) against the installed Pushpin 1.36 and against our runner, each probe recording what
// the system did, and prints where the two records differ. Not a pass/fail test: some
// differences are known and listed in the README ("Known differences", "Mixing ...").
// Usage: node scripts/diff-probes.mjs [--only probe.stats]   (needs /usr/bin/pushpin)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pushpin = process.env.PUSHPIN_BIN ?? '/usr/bin/pushpin';
if (!fs.existsSync(pushpin)) { console.error(`${pushpin} not found (set PUSHPIN_BIN)`); process.exit(2); }
// copies the suite to .conformance/ and installs it when needed
const prep = spawnSync(process.execPath, [path.join(root, 'scripts', 'conformance.mjs'), '--list'], { stdio: ['ignore', 'ignore', 'inherit'] });
if (prep.status !== 0) process.exit(2);
const copy = path.join(root, '.conformance');
const argv = process.argv.slice(2);
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : 'probe.';

function run(label, cmd) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `probes-${label}-`));
  const r = spawnSync(process.execPath, [path.join(copy, 'run.mjs'), '--cmd', cmd, '--cases', path.join(root, 'scripts', 'probes'), '--only', only], {
    cwd: copy, env: { ...process.env, PROBE_DIR: dir }, encoding: 'utf8',
  });
  process.stdout.write(`${label}: ${r.stdout.trim().split('\n').pop()}\n`);
  return dir;
}

const a = run('pushpin', `${pushpin} --config {config}`);
const b = run('ours', `${path.join(root, 'node_modules', '.bin', 'pushpin-runner')} --config {config}`);
let diffs = 0;
for (const f of fs.readdirSync(a).filter((x) => x.endsWith('.json')).sort()) {
  const x = JSON.parse(fs.readFileSync(path.join(a, f), 'utf8'));
  const yPath = path.join(b, f);
  if (!fs.existsSync(yPath)) { console.log(`${f}: no record from ours`); diffs++; continue; }
  const y = JSON.parse(fs.readFileSync(yPath, 'utf8'));
  const keys = Array.isArray(x) ? [null] : [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
  for (const k of keys) {
    const [u, v] = k === null ? [x, y] : [x[k], y[k]];
    const same = JSON.stringify(u) === JSON.stringify(v);
    if (!same) diffs++;
    console.log(`${same ? 'same' : 'DIFF'} ${f.replace(/\.json$/, '')}${k === null ? '' : `:${k}`}`);
    if (!same) { console.log(`  pushpin: ${JSON.stringify(u)}`); console.log(`  ours:    ${JSON.stringify(v)}`); }
  }
}
console.log(`${diffs} difference(s)`);
