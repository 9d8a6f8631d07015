/**
 * Pushpin's `%` directive processor used by the `build-id` and `var-subst` filters:
 * `%%` is a literal `%`, `%x` a directive, `%(arg)x` a directive with an argument
 * (`\` escapes inside the parentheses). Works on bytes; positions are byte offsets.
 */

/** Returns the replacement bytes, or an error text (without position). */
export type DirectiveHandler = (type: string, arg: Buffer | undefined) => Buffer | { error: string };

function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** Renders `format`; returns the output or `{ error }` with Pushpin's message including the position. */
export function processFormat(format: Buffer, handler: DirectiveHandler): Buffer | { error: string } {
  const out: Buffer[] = [];
  let litStart = 0;
  for (let n = 0; n < format.length; ++n) {
    if (format[n] !== 0x25) continue;
    out.push(format.subarray(litStart, n));
    if (n + 1 >= format.length) return { error: `Expected directive after '%' at position ${n}` };
    ++n;
    let c = format[n] as number;
    if (c === 0x28) {
      const fieldStart = n;
      if (n + 1 >= format.length) return { error: `Expected character after '(' at position ${n}` };
      ++n;
      const arg: number[] = [];
      let ok = false;
      for (; n < format.length; ++n) {
        c = format[n] as number;
        if (c === 0x5c) {
          if (n + 1 >= format.length) return { error: `Expected character after '\\' at position ${n}` };
          ++n;
          arg.push(format[n] as number);
        } else if (c === 0x29) {
          ok = true;
          break;
        } else {
          arg.push(c);
        }
      }
      if (!ok) return { error: `Unterminated field starting at position ${fieldStart}` };
      if (n + 1 >= format.length) return { error: `Expected directive after ')' at position ${n}` };
      ++n;
      const r = handler(String.fromCharCode(format[n] as number), Buffer.from(arg));
      if (!Buffer.isBuffer(r)) return { error: `${r.error} at position ${n}` };
      out.push(r);
    } else if (c === 0x25) {
      out.push(Buffer.from('%'));
    } else if (isAlpha(c)) {
      const r = handler(String.fromCharCode(c), undefined);
      if (!Buffer.isBuffer(r)) return { error: `${r.error} at position ${n}` };
      out.push(r);
    } else {
      return { error: `Unknown directive '${String.fromCharCode(c)}' at position ${n}` };
    }
    litStart = n + 1;
  }
  out.push(format.subarray(litStart));
  return Buffer.concat(out);
}
