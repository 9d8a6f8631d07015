#!/usr/bin/env node
// Summarises V8 .cpuprofile files (from `bench --cpu-prof DIR`): for each file, the total
// sampled time and the functions with the most self time.
// Usage: node scripts/bench/profile-top.mjs [--top N] FILE.cpuprofile...
import fs from 'node:fs';
import path from 'node:path';

const argv = process.argv.slice(2);
let top = 15;
const files = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--top') top = Number(argv[++i]);
  else files.push(argv[i]);
}
if (files.length === 0) {
  process.stderr.write('usage: node scripts/bench/profile-top.mjs [--top N] FILE.cpuprofile...\n');
  process.exit(2);
}

for (const file of files) {
  let prof;
  try {
    prof = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    process.stderr.write(`${file}: ${e.message}\n`);
    continue;
  }
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map(); // node id -> microseconds
  const deltas = prof.timeDeltas ?? [];
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = deltas[i + 1] ?? 0;
    self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + dt);
  }
  const byFn = new Map();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const cf = byId.get(id).callFrame;
    const name = cf.functionName || '(anonymous)';
    if (name === '(idle)') {
      idle += us;
      continue;
    }
    total += us;
    const where = cf.url ? `${cf.url.replace(/^file:\/\//, '').split('/').slice(-3).join('/')}:${cf.lineNumber + 1}` : '';
    const key = `${name} ${where}`.trim();
    byFn.set(key, (byFn.get(key) ?? 0) + us);
  }
  console.log(`\n== ${path.basename(file)}: busy ${(total / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s`);
  const rows = [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [key, us] of rows) console.log(`${(us / 1e3).toFixed(0).padStart(8)} ms ${((100 * us) / Math.max(1, total)).toFixed(1).padStart(5)}%  ${key}`);
}
