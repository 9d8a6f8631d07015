/**
 * Flat INI files whose values are plain strings (zurl.conf as the runner writes it, Pushpin's
 * `runner/zurl.conf.template`), read with the `ini` package. pushpin.conf itself goes through
 * `qt-ini.ts`, because Qt's list and quoting rules need the raw text after `=`.
 */
import { parse } from 'ini';

/**
 * Reads one section into `key → value` (strings; `ini` turns `true`/`false` into booleans, they
 * are turned back). Section names match case-insensitively; for `general` the keys written
 * before any section header count too, as in QSettings. Later duplicates win.
 *
 * @example iniSection('[General]\nin_spec=ipc:///tmp/x\n', 'general').get('in_spec') // 'ipc:///tmp/x'
 */
export function iniSection(text: string, section: string): Map<string, string> {
  const doc = parse(text);
  const out = new Map<string, string>();
  const want = section.toLowerCase();
  const add = (obj: Record<string, unknown>): void => {
    for (const [k, v] of Object.entries(obj)) {
      if (v === null || typeof v === 'object') continue;
      out.set(k, String(v));
    }
  };
  if (want === 'general') add(doc);
  for (const [name, value] of Object.entries(doc)) {
    if (name.toLowerCase() === want && value !== null && typeof value === 'object' && !Array.isArray(value)) add(value as Record<string, unknown>);
  }
  return out;
}
