// docs/errors.md is the registry of error and warning codes: every code the sources use is
// listed there, and everything listed there is still used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
// a trailing `_` is a family in prose (`PP_ERR_TNET_*`), not a code
const CODE = /PP_(?:ERR|WARN)_[A-Z0-9_]+/g;

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist' || e.name === 'test') continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) sourceFiles(p, out);
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

function codesIn(files: string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const f of files) {
    for (const m of fs.readFileSync(f, 'utf8').matchAll(CODE)) {
      if (!m[0].endsWith('_') && !found.has(m[0])) found.set(m[0], path.relative(root, f));
    }
  }
  return found;
}

test('every error code in packages/ and services/ is documented in docs/errors.md, and none is stale', () => {
  const files = [...sourceFiles(path.join(root, 'packages')), ...sourceFiles(path.join(root, 'services'))];
  assert.ok(files.length > 20, `expected the TypeScript sources under ${root}`);
  const used = codesIn(files);
  assert.ok(used.size > 20, 'expected many codes in the sources');
  const doc = fs.readFileSync(path.join(root, 'docs', 'errors.md'), 'utf8');
  const documented = new Set<string>();
  for (const line of doc.split('\n')) {
    const m = /^\| `(PP_[A-Z0-9_]+)` \|/.exec(line);
    if (m) documented.add(m[1]!);
  }
  const missing = [...used].filter(([c]) => !documented.has(c)).map(([c, f]) => `${c} (${f})`);
  assert.deepEqual(missing, [], 'codes used but not in docs/errors.md');
  const stale = [...documented].filter((c) => !used.has(c));
  assert.deepEqual(stale, [], 'codes in docs/errors.md that no source uses');
});
