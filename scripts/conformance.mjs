#!/usr/bin/env node
// Runs ../shared/conformance against our runner. The suite is copied to .conformance/ and its
// dependencies installed there with `npm ci` (the shared folder is never modified).
// Usage: node scripts/conformance.mjs [--ci] [any run.mjs options, e.g. --only proxy.]
// --ci runs the scenario ids listed in scripts/conformance-passing.txt (the areas that pass).
// --real <services> runs a mixed system: those services from the installed Pushpin 1.36
// (/usr/bin/pushpin), the others ours (scripts/interop-sut.mjs), e.g. --real condure,zurl.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.PUSHPIN_CONFORMANCE_DIR ?? path.resolve(root, '..', 'shared', 'conformance');
// PUSHPIN_CONFORMANCE_COPY: a private copy folder, so parallel runs do not share one
const copy = path.resolve(root, process.env.PUSHPIN_CONFORMANCE_COPY ?? '.conformance');
if (!fs.existsSync(path.join(shared, 'run.mjs'))) {
  console.error(`conformance suite not found at ${shared} (set PUSHPIN_CONFORMANCE_DIR)`);
  process.exit(2);
}

fs.rmSync(path.join(copy, 'cases'), { recursive: true, force: true });
fs.rmSync(path.join(copy, 'lib'), { recursive: true, force: true });
for (const entry of ['run.mjs', 'package.json', 'package-lock.json', 'lib', 'cases', 'README.md']) {
  fs.cpSync(path.join(shared, entry), path.join(copy, entry), { recursive: true });
}
const lock = fs.readFileSync(path.join(copy, 'package-lock.json'), 'utf8');
const stamp = path.join(copy, 'node_modules', '.lock-copy');
if (!fs.existsSync(stamp) || fs.readFileSync(stamp, 'utf8') !== lock) {
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: copy, stdio: 'inherit' });
  if (r.status !== 0) { console.error('npm ci failed in .conformance'); process.exit(2); }
  fs.writeFileSync(stamp, lock);
}

const argv = process.argv.slice(2);
const ci = argv.includes('--ci');
const realAt = argv.indexOf('--real');
const real = realAt >= 0 ? argv[realAt + 1] : undefined;
if (realAt >= 0 && !real) { console.error('--real needs a list of Pushpin services, e.g. condure,zurl'); process.exit(2); }
const rest = argv.filter((a, i) => a !== '--ci' && (realAt < 0 || (i !== realAt && i !== realAt + 1)));
if (ci) {
  const ids = fs.readFileSync(path.join(root, 'scripts', 'conformance-passing.txt'), 'utf8')
    .split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
  rest.push('--only', ids.join(','));
}
const runner = path.join(root, 'node_modules', '.bin', 'pushpin-runner');
const cmd = real
  ? `${process.execPath} ${path.join(root, 'scripts', 'interop-sut.mjs')} --config {config} --real ${real}`
  : `${runner} --config {config}`;
const r = spawnSync(process.execPath, [path.join(copy, 'run.mjs'), '--cmd', cmd, ...rest], { cwd: copy, stdio: 'inherit' });
process.exit(r.status ?? 1);
