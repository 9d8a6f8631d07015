/**
 * INI reading with Qt `QSettings` (IniFormat) semantics, as Pushpin reads pushpin.conf.
 *
 * Why not the `ini` package alone: it drops text after an unquoted `#` (Qt keeps
 * it), turns `true`/`false` into booleans, splits dotted section names into
 * nested objects and unwraps quotes so that `"a,b"` and `a,b` look alike. Qt
 * needs the raw text after `=` to tell a quoted string from a list, so this
 * module tokenises lines itself and decodes values the way Qt does.
 */

/** One `key=value` line: the value is kept raw (undecoded) so lists and quotes can be told apart. */
export interface IniEntry {
  readonly section: string;
  readonly key: string;
  readonly raw: string;
  readonly file: string;
  readonly line: number;
}

/** Decoded value: a list when an unquoted comma was present, else a single string. */
export type QtValue = { readonly list: false; readonly value: string } | { readonly list: true; readonly values: readonly string[] };

/**
 * Splits INI text into entries. Later duplicates of a key win (QSettings keeps the last).
 * Lines starting with `;` or `#` are comments, a `;` outside quotes ends a line (Qt),
 * lines without `=` are ignored, keys are trimmed and used as written.
 *
 * @example tokenizeIni('[proxy]\ndebug=true\n', 'x.conf') // [{ section: 'proxy', key: 'debug', raw: 'true', … }]
 */
export function tokenizeIni(text: string, file: string): IniEntry[] {
  const lines = text.split(/\r\n|\r|\n/);
  const out: IniEntry[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i] ?? '';
    // a backslash at the end of a line continues the value on the next line (Qt)
    while (endsWithContinuation(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + (lines[++i] ?? '').replace(/^[ \t]+/, '');
    }
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith(';') || trimmed.startsWith('#')) continue;
    if (trimmed.startsWith('[')) {
      const close = trimmed.indexOf(']');
      const name = (close === -1 ? trimmed.slice(1) : trimmed.slice(1, close)).trim();
      section = name.toLowerCase() === 'general' ? '' : name;
      continue;
    }
    const content = cutComment(line);
    const eq = content.indexOf('=');
    if (eq === -1) continue;
    const key = content.slice(0, eq).trim();
    if (key === '') continue;
    out.push({ section, key, raw: content.slice(eq + 1).trim(), file, line: lineNo });
  }
  return out;
}

function endsWithContinuation(line: string): boolean {
  let n = 0;
  for (let j = line.length - 1; j >= 0 && line[j] === '\\'; j--) n++;
  return n % 2 === 1;
}

/** Qt ends a line at a `;` that is outside double quotes. */
function cutComment(line: string): string {
  let inQuotes = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '\\') i++;
    else if (ch === '"') inQuotes = !inQuotes;
    else if (ch === ';' && !inQuotes) return line.slice(0, i);
  }
  return line;
}

const ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
  '"': '"', '?': '?', "'": "'", '\\': '\\',
};

/**
 * Decodes a raw value like Qt's `iniUnescapedStringList`: double quotes group text
 * (commas and spaces kept), C escapes work inside and outside quotes, an unquoted
 * comma makes a list whose elements are trimmed.
 *
 * @example decodeQtValue('a, b') // { list: true, values: ['a', 'b'] }
 * @example decodeQtValue('"a, b"') // { list: false, value: 'a, b' }
 */
export function decodeQtValue(raw: string): QtValue {
  const values: string[] = [];
  let isList = false;
  let cur = '';
  let chopLimit = 0;
  let quoted = false;
  let inQuotes = false;
  let i = 0;
  const skipSpaces = (): void => {
    while (i < raw.length && (raw[i] === ' ' || raw[i] === '\t')) i++;
  };
  const finish = (): void => {
    if (!quoted) {
      let end = cur.length;
      while (end > chopLimit && (cur[end - 1] === ' ' || cur[end - 1] === '\t')) end--;
      cur = cur.slice(0, end);
    }
  };
  skipSpaces();
  while (i < raw.length) {
    const ch = raw[i] as string;
    if (ch === '\\') {
      i++;
      if (i >= raw.length) break;
      const e = raw[i] as string;
      i++;
      const simple = ESCAPES[e];
      if (simple !== undefined) cur += simple;
      else if (e === 'x') {
        const m = /^[0-9a-fA-F]+/.exec(raw.slice(i));
        if (m) {
          cur += String.fromCodePoint(Math.min(parseInt(m[0], 16), 0x10ffff));
          i += m[0].length;
        }
      } else if (e >= '0' && e <= '7') {
        const m = /^[0-7]*/.exec(raw.slice(i)) as RegExpExecArray;
        cur += String.fromCodePoint(parseInt(e + m[0], 8));
        i += m[0].length;
      }
      // any other escaped character is dropped, as Qt does
      chopLimit = cur.length;
    } else if (ch === '"') {
      i++;
      quoted = true;
      inQuotes = !inQuotes;
      if (!inQuotes) skipSpaces();
    } else if (ch === ',' && !inQuotes) {
      finish();
      isList = true;
      values.push(cur);
      cur = '';
      chopLimit = 0;
      quoted = false;
      i++;
      skipSpaces();
    } else {
      cur += ch;
      i++;
    }
  }
  finish();
  if (!isList) return { list: false, value: atUnescape(cur) };
  values.push(cur);
  return { list: true, values: values.map(atUnescape) };
}

// QSettings writes a leading '@' as '@@' (other '@' forms are Qt variant types we never use)
function atUnescape(s: string): string {
  return s.startsWith('@@') ? s.slice(1) : s;
}

/**
 * Qt's string → bool: empty, `0` and `false` (any case) are false, anything else true.
 *
 * @example qtBool('yes') // true
 */
export function qtBool(s: string): boolean {
  const t = s.trim().toLowerCase();
  return !(t === '' || t === '0' || t === 'false');
}

/**
 * Qt's string → int in the given base; `undefined` when the text is not a whole number.
 *
 * @example qtInt('0777', 8) // 511
 */
export function qtInt(s: string, base = 10): number | undefined {
  const t = s.trim();
  const re = base === 8 ? /^[+-]?[0-7]+$/ : /^[+-]?\d+$/;
  if (!re.test(t)) return undefined;
  const n = parseInt(t, base);
  return Number.isSafeInteger(n) ? n : undefined;
}
