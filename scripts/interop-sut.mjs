#!/usr/bin/env node
// One Pushpin-compatible system made of real Pushpin 1.36 services and ours, on one config:
// the services named in --real are started by Pushpin's own runner, the others by ours. Both
// runners read the same pushpin.conf (copied with only [runner] services changed), so every
// socket between the two halves is the one Pushpin's internal.conf names: this shows the bytes
// on the ZeroMQ wire are Pushpin's. Used by scripts/interop.mjs as the conformance suite's SUT.
//
// Usage: node scripts/interop-sut.mjs --config <pushpin.conf> --real condure,zurl [-- runner flags]
//        (Pushpin's names: condure, zurl, pushpin-proxy, pushpin-handler; flags after `--`
//        go to our runner, e.g. -- --loglevel=2,zurl:3)
// SIGTERM/SIGINT stop both halves; if either half exits on its own, the other is stopped and
// this exits 1.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ALL = ['condure', 'zurl', 'pushpin-proxy', 'pushpin-handler'];

function arg(name) {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  if (!v) { console.error(`interop-sut: ${name} is required`); process.exit(2); }
  return v;
}

const config = path.resolve(arg('--config'));
const real = arg('--real').split(',').map((s) => s.trim()).filter(Boolean);
const unknown = real.filter((s) => !ALL.includes(s));
if (unknown.length || real.length === 0 || real.length === ALL.length) {
  console.error(`interop-sut: --real takes some (not all) of ${ALL.join(', ')}; got ${real.join(',')}`);
  process.exit(2);
}
const ours = ALL.filter((s) => !real.includes(s));
const pushpin = process.env.PUSHPIN_BIN ?? '/usr/bin/pushpin';
if (!fs.existsSync(pushpin)) { console.error(`interop-sut: ${pushpin} not found (set PUSHPIN_BIN)`); process.exit(2); }

/** The config with `[runner] services` replaced (added when missing). */
function withServices(text, list) {
  const lines = text.split('\n');
  let section = '';
  let done = false;
  const out = [];
  for (const line of lines) {
    const sec = /^\s*\[([^\]]+)\]/.exec(line);
    if (sec) {
      if (section === 'runner' && !done) { out.push(`services=${list.join(',')}`); done = true; }
      section = sec[1].trim();
    }
    if (section === 'runner' && /^\s*services\s*=/.test(line)) {
      if (!done) out.push(`services=${list.join(',')}`);
      done = true;
      continue;
    }
    out.push(line);
  }
  if (!done) {
    if (section === 'runner') out.push(`services=${list.join(',')}`);
    else out.push('[runner]', `services=${list.join(',')}`);
  }
  return out.join('\n');
}

const text = fs.readFileSync(config, 'utf8');
const dir = path.dirname(config);
const realConf = path.join(dir, 'interop-real.conf');
const oursConf = path.join(dir, 'interop-ours.conf');
fs.writeFileSync(realConf, withServices(text, real));
fs.writeFileSync(oursConf, withServices(text, ours));

const children = [];
let stopping = false;
function start(name, cmd, args) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  child.on('exit', (code, signal) => {
    child.exited = true;
    if (!stopping) {
      console.error(`interop-sut: ${name} exited on its own (${signal ?? code}); stopping the other half`);
      stop(1);
    } else if (children.every((c) => c.exited)) process.exit(process.exitCode ?? 0);
  });
  children.push(child);
}

function stop(code) {
  if (stopping) return;
  stopping = true;
  process.exitCode = code;
  for (const c of children) if (!c.exited) c.kill('SIGTERM');
  setTimeout(() => { for (const c of children) if (!c.exited) c.kill('SIGKILL'); }, 4000).unref();
  if (children.every((c) => c.exited)) process.exit(code);
}

process.on('SIGTERM', () => stop(0));
process.on('SIGINT', () => stop(0));

// the real half first: whichever side binds a socket, ZeroMQ reconnects until the peer is there
start(`pushpin (${real.join(',')})`, pushpin, ['--config', realConf]);
const dash = process.argv.indexOf('--');
const extra = dash >= 0 ? process.argv.slice(dash + 1) : [];
start(`pushpin-ts (${ours.join(',')})`, process.execPath, [path.join(root, 'services', 'runner', 'bin', 'pushpin-runner.js'), '--config', oursConf, ...extra]);
