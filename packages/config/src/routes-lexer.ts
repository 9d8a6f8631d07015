/**
 * Lexer for one routes-file line, following Pushpin's `routesfile.cpp` rules:
 * sections are separated by spaces; a section is `value[,prop[=val]]…`; if the
 * first part contains `=` the section value is empty and the part is a prop;
 * `"…"` quotes (only `\\` and `\"` escapes) may appear anywhere in a part; an
 * unquoted `#` ends the line.
 */

/** One space-separated section: its value and its props in file order (repeats kept). */
export interface RouteSection {
  readonly value: string;
  readonly props: ReadonlyArray<readonly [string, string]>;
}

/** Result of {@link lexRouteLine}. */
export type LexResult = { readonly ok: true; readonly sections: RouteSection[] } | { readonly ok: false; readonly error: string };

// Pushpin only treats ' ' as a separator; a tab is accepted too (a tab inside a value is never meant)
const isSpace = (ch: string | undefined): boolean => ch === ' ' || ch === '\t';
const STOP = /[", \t#]/;

/**
 * Splits a routes line into sections. Blank and comment lines give no sections.
 *
 * @example lexRouteLine('*,path_beg=/x 127.0.0.1:80,ssl') // sections [{ value: '*', props: [['path_beg', '/x']] }, { value: '127.0.0.1:80', props: [['ssl', '']] }]
 */
export function lexRouteLine(line: string): LexResult {
  const sections: { value: string; props: [string, string][] }[] = [];
  let i = 0;
  let inSection = false;
  for (;;) {
    if (!inSection) {
      while (i < line.length && isSpace(line[i])) i++;
      if (i >= line.length || line[i] === '#') return { ok: true, sections };
    }
    // read one part (initial value or prop)
    let part = '';
    for (;;) {
      const rest = line.slice(i);
      const m = STOP.exec(rest);
      const at = m ? i + m.index : line.length;
      part += line.slice(i, at);
      i = at;
      if (line[i] !== '"') break;
      // quoted text: only \\ and \" are escapes
      i++;
      let closed = false;
      while (i < line.length) {
        const ch = line[i] as string;
        if (ch === '\\') {
          const next = line[i + 1];
          if (next !== '\\' && next !== '"') {
            return { ok: false, error: next === undefined ? 'unterminated quote' : `invalid escape "\\${next}" in quoted text` };
          }
          part += next;
          i += 2;
        } else if (ch === '"') {
          closed = true;
          i++;
          break;
        } else {
          part += ch;
          i++;
        }
      }
      if (!closed) return { ok: false, error: 'unterminated quote' };
    }
    if (!inSection) {
      if (part.includes('=')) {
        // '=' in the initial value: the section has no value and this part is a prop
        sections.push({ value: '', props: [] });
        const err = addProp(sections, part);
        if (err) return { ok: false, error: err };
      } else sections.push({ value: part, props: [] });
    } else {
      if (part === '') return { ok: false, error: 'expecting prop' };
      const err = addProp(sections, part);
      if (err) return { ok: false, error: err };
    }
    if (line[i] === ',') {
      i++;
      inSection = true;
    } else inSection = false;
  }
}

function addProp(sections: { props: [string, string][] }[], part: string): string | undefined {
  const eq = part.indexOf('=');
  const name = eq === -1 ? part : part.slice(0, eq);
  const value = eq === -1 ? '' : part.slice(eq + 1);
  if (name === '') return 'empty prop name';
  (sections[sections.length - 1] as { props: [string, string][] }).props.push([name, value]);
  return undefined;
}
