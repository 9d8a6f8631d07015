/**
 * Prometheus text exposition (version 0.0.4) of a few counters and gauges whose values are
 * read at scrape time. Pure: no I/O.
 */

export type MetricType = 'counter' | 'gauge';
export type MetricSample = number | ReadonlyArray<{ labels: Readonly<Record<string, string>>; value: number }>;

export interface MetricDef {
  /** Name without the prefix, e.g. `message_sent`. */
  name: string;
  help: string;
  type: MetricType;
  /** The current value, or one value per label set. */
  collect(): MetricSample;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/**
 * Renders `defs` with `prefix` prepended to each name, as Pushpin does
 * (`# HELP <prefix>message_sent …`, `# TYPE … counter`, then the samples). A def whose
 * `collect` throws is left out.
 * @example renderMetrics('pp_', [{ name: 'message_sent', help: 'Number of messages sent to clients', type: 'counter', collect: () => 3 }])
 *   // '# HELP pp_message_sent Number of messages sent to clients\n# TYPE pp_message_sent counter\npp_message_sent 3\n'
 */
export function renderMetrics(prefix: string, defs: readonly MetricDef[]): string {
  let out = '';
  for (const d of defs) {
    let sample: MetricSample;
    try { sample = d.collect(); } catch { continue; }
    const name = prefix + d.name;
    out += `# HELP ${name} ${escapeHelp(d.help)}\n# TYPE ${name} ${d.type}\n`;
    if (typeof sample === 'number') {
      out += `${name} ${num(sample)}\n`;
      continue;
    }
    for (const s of sample) {
      const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
      out += `${name}${labels ? `{${labels}}` : ''} ${num(s.value)}\n`;
    }
  }
  return out;
}

/** Pushpin's metric names are `[a-zA-Z_:][a-zA-Z0-9_:]*` after the prefix; anything else is replaced by `_`. */
export function sanitizePrefix(prefix: string): string {
  return prefix.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/^([0-9])/, '_$1');
}
