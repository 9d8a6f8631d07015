import type { IniEntry } from './qt-ini.js';
import { decodeQtValue, qtBool, qtInt } from './qt-ini.js';
import { codes, ConfigSetError, problem } from './errors.js';
import type { Problem, SourceLocation } from './errors.js';

/** A raw value and where it came from. */
export interface RawSetting {
  readonly raw: string;
  readonly file: string;
  readonly line?: number;
}

/** One source of settings: `section/key` → raw value. */
export type Layer = ReadonlyMap<string, RawSetting>;

/** `[section, key]` */
export type Alias = readonly [string, string];
/**
 * Groups of aliases. Groups are tried in order; inside a group every layer is
 * tried (highest priority first) and, per layer, every alias in order. So a
 * newer key spelling and the 1.36 one form one group: whichever sits in the
 * higher-priority file wins, and the newer spelling wins inside one file.
 */
export type Lookup = readonly (readonly Alias[])[];

/** Builds a one-group lookup of `section` with several key spellings (newest first). */
export function keys(section: string, ...names: string[]): Lookup {
  return [names.map((n) => [section, n] as const)];
}

/** Builds a layer from tokenised INI entries (the last duplicate wins, as in QSettings). */
export function layerFromEntries(entries: readonly IniEntry[]): Layer {
  const m = new Map<string, RawSetting>();
  for (const e of entries) m.set(`${e.section}/${e.key}`, { raw: e.raw, file: e.file, line: e.line });
  return m;
}

/**
 * Builds the layer of `--set section.key=value` overrides (`section/key` accepted too).
 *
 * @throws ConfigSetError (`PP_ERR_CONFIG_SET`) when an entry has no section or key.
 */
export function layerFromSet(set: ReadonlyArray<readonly [string, string]>): Layer {
  const m = new Map<string, RawSetting>();
  for (const [name, value] of set) {
    const at = name.search(/[./]/);
    const section = at === -1 ? '' : name.slice(0, at).trim();
    const key = at === -1 ? '' : name.slice(at + 1).trim();
    if (section === '' || key === '') throw new ConfigSetError(`invalid --set name "${name}", expected section.key`);
    m.set(`${section}/${key}`, { raw: value.trim(), file: '--set' });
  }
  return m;
}

/** Values substituted into every string value and list element. */
export interface Vars {
  readonly libdir: string;
  readonly rundir: string;
  readonly ipcPrefix: string;
  readonly portOffset: number;
}

/**
 * Substitutes `{libdir}`, `{rundir}`, `{ipc_prefix}` and shifts the port of a
 * `tcp://host:PORT` spec by the port offset. Unlike Pushpin (which cuts the value
 * after the port) any text after the port digits is kept.
 *
 * @example resolveVars('tcp://127.0.0.1:5560', { libdir: '', rundir: '', ipcPrefix: '', portOffset: 10 }) // 'tcp://127.0.0.1:5570'
 */
export function resolveVars(s: string, v: Vars): string {
  let out = s.replaceAll('{libdir}', v.libdir).replaceAll('{rundir}', v.rundir).replaceAll('{ipc_prefix}', v.ipcPrefix);
  if (v.portOffset === 0) return out;
  let from = 0;
  for (;;) {
    const at = out.indexOf('tcp://', from);
    if (at === -1) break;
    const hostStart = at + 6;
    let colon: number;
    if (out[hostStart] === '[') {
      const close = out.indexOf(']', hostStart);
      colon = close !== -1 && out[close + 1] === ':' ? close + 1 : -1;
    } else colon = out.indexOf(':', hostStart);
    if (colon === -1) break;
    const digits = /^\d+/.exec(out.slice(colon + 1));
    if (!digits) break;
    const port = String(Number(digits[0]) + v.portOffset);
    out = out.slice(0, colon + 1) + port + out.slice(colon + 1 + digits[0].length);
    from = colon + 1 + port.length;
  }
  return out;
}

/** Typed access to layered settings, collecting warnings. */
export class Reader {
  readonly warnings: Problem[] = [];
  vars: Vars = { libdir: '', rundir: '', ipcPrefix: '', portOffset: 0 };

  constructor(private readonly layers: readonly Layer[]) {}

  /** The raw setting found for a lookup, with the key that matched. */
  find(lookup: Lookup): { setting: RawSetting; section: string; key: string } | undefined {
    for (const group of lookup) {
      for (const layer of this.layers) {
        for (const [section, key] of group) {
          const setting = layer.get(`${section}/${key}`);
          if (setting !== undefined) return { setting, section, key };
        }
      }
    }
    return undefined;
  }

  /** Location of a setting, for error messages. */
  where(lookup: Lookup): SourceLocation {
    const f = this.find(lookup);
    if (!f) return {};
    return f.setting.line === undefined ? { file: f.setting.file } : { file: f.setting.file, line: f.setting.line };
  }

  /** Raw decoded value without variable substitution. */
  rawString(lookup: Lookup): string | undefined {
    const f = this.find(lookup);
    if (!f) return undefined;
    const v = decodeQtValue(f.setting.raw);
    // Qt would turn an unquoted a,b read as a string into "" — we keep the text instead
    return v.list ? v.values.join(',') : v.value;
  }

  /** String value with variables substituted; the default when missing. */
  str(lookup: Lookup, def: string): string {
    return resolveVars(this.rawString(lookup) ?? def, this.vars);
  }

  /** List value (a single value is a one-element list, empty elements dropped), variables substituted. */
  list(lookup: Lookup, def: readonly string[]): string[] {
    const f = this.find(lookup);
    let items: readonly string[];
    if (!f) items = def;
    else {
      const v = decodeQtValue(f.setting.raw);
      items = v.list ? v.values : [v.value];
    }
    return items.filter((s) => s !== '').map((s) => resolveVars(s, this.vars));
  }

  /** Qt boolean conversion; the default when missing. */
  bool(lookup: Lookup, def: boolean): boolean {
    const s = this.rawString(lookup);
    return s === undefined ? def : qtBool(s);
  }

  /** Decimal (or octal) integer; missing, empty or invalid → default (invalid also warns). */
  int(lookup: Lookup, def: number, base = 10): number {
    const s = this.rawString(lookup);
    if (s === undefined || s.trim() === '') return def;
    const n = qtInt(resolveVars(s, this.vars), base);
    if (n === undefined) {
      const f = this.find(lookup);
      this.warn(codes.PP_WARN_CONFIG_NUMBER, `${f?.section}/${f?.key}: "${s}" is not ${base === 8 ? 'an octal' : 'a whole'} number, using ${base === 8 ? def.toString(8) : def}`, lookup);
      return def;
    }
    return n;
  }

  warn(code: keyof typeof codes, message: string, lookup?: Lookup): void {
    this.warnings.push(problem(code, message, lookup ? this.where(lookup) : {}));
  }
}
