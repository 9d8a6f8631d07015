/**
 * Command line of pushpin-publish (test-handler.md §2.1), parsed the way Pushpin's clap
 * front end accepts it: `--opt value`, `--opt=value`, `-Hvalue`, `-H value`, `--`.
 * Unlike clap 2, `-H`/`-M` take one value per occurrence, so positionals may follow them.
 */

import { PublishUsageError } from './errors.js';

export const PROGRAM_NAME = 'pushpin-publish';
export const VERSION = '1.36.0';
export const DEFAULT_SPEC = 'http://localhost:5561';

export interface PublishArgs {
  channel: string;
  content?: string;
  id?: string;
  prevId?: string;
  sender?: string;
  /** As typed; validated by `parseCode`. */
  code: string;
  headers: string[];
  meta: string[];
  hint: boolean;
  close: boolean;
  patch: boolean;
  noSeq: boolean;
  noEol: boolean;
  spec: string;
  user?: string;
  bearer?: string;
  /** pushpin-ts extension: network timeout in ms (default: 10 s for HTTP, 3 s for ZeroMQ). */
  timeoutMs?: number;
}

export type ParsedCommandLine = { kind: 'run'; args: PublishArgs } | { kind: 'help' } | { kind: 'version' };

interface OptSpec { long: string; short?: string; value?: string; multiple?: boolean; help: string }

const OPTIONS: readonly OptSpec[] = [
  { long: 'id', value: 'id', help: 'Payload ID' },
  { long: 'prev-id', value: 'id', help: 'Previous payload ID' },
  { long: 'sender', value: 'sender', help: 'Sender meta value' },
  { long: 'code', value: 'code', help: 'HTTP response code to use [default: 200]' },
  { long: 'header', short: 'H', value: '"K: V"', multiple: true, help: 'Add HTTP response header' },
  { long: 'meta', short: 'M', value: '"K=V"', multiple: true, help: 'Add meta variable' },
  { long: 'spec', value: 'spec', help: 'GRIP URL or ZeroMQ PUSH spec [default: $GRIP_URL or http://localhost:5561]' },
  { long: 'user', short: 'u', value: 'user:pass', help: 'Authenticate using basic auth (https only)' },
  { long: 'bearer', short: 'B', value: 'token', help: 'Authenticate using bearer token (https only)' },
  { long: 'timeout', value: 'ms', help: 'Give up after this many milliseconds (default 10000 for HTTP, 3000 for ZeroMQ)' },
  { long: 'hint', help: 'Send hint instead of content' },
  { long: 'close', help: 'Close streaming and WebSocket connections' },
  { long: 'patch', help: 'Content is JSON patch' },
  { long: 'no-seq', help: 'Bypass sequencing buffer' },
  { long: 'no-eol', help: "Don't add newline to HTTP payloads" },
  { long: 'help', short: 'h', help: 'Prints help information' },
  { long: 'version', short: 'V', help: 'Prints version information' },
];

export const USAGE = `USAGE:\n    ${PROGRAM_NAME} [FLAGS] [OPTIONS] <channel> [content]`;

/** clap-style help text. */
export function helpText(): string {
  const flags = OPTIONS.filter((o) => !o.value);
  const opts = OPTIONS.filter((o) => o.value);
  const name = (o: OptSpec): string => `${o.short ? `-${o.short}, ` : '    '}--${o.long}${o.value ? ` <${o.value}>${o.multiple ? '...' : ''}` : ''}`;
  const width = Math.max(...OPTIONS.map((o) => name(o).length)) + 4;
  const line = (o: OptSpec): string => `    ${name(o).padEnd(width)}${o.help}`;
  return [
    `${PROGRAM_NAME} ${VERSION}`,
    'Publish messages to Pushpin',
    '',
    USAGE,
    '',
    'FLAGS:',
    ...flags.map(line),
    '',
    'OPTIONS:',
    ...opts.map(line),
    '',
    'ARGS:',
    `    ${'<channel>'.padEnd(width)}Channel to send to`,
    `    ${'<content>'.padEnd(width)}Content to use for HTTP body and WebSocket message (@file reads a file)`,
    '',
  ].join('\n');
}

function unexpected(arg: string): PublishUsageError {
  return new PublishUsageError(`Found argument '${arg}' which wasn't expected, or isn't valid in this context`);
}

/**
 * Parses `argv` (without node and script).
 * @throws PublishUsageError with clap's wording for unknown options, missing values and a
 *   missing `<channel>`.
 * @example parseCommandLine(['test', 'hello', '--id', '1'], DEFAULT_SPEC)
 */
export function parseCommandLine(argv: readonly string[], defaultSpec: string): ParsedCommandLine {
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  const positionals: string[] = [];
  let onlyPositionals = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (onlyPositionals || arg === '-' || !arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    if (arg === '--') { onlyPositionals = true; continue; }
    let spec: OptSpec | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      spec = OPTIONS.find((o) => o.long === name);
      if (eq >= 0) inline = arg.slice(eq + 1);
    } else {
      spec = OPTIONS.find((o) => o.short === arg[1]);
      if (arg.length > 2) inline = arg[2] === '=' ? arg.slice(3) : arg.slice(2);
    }
    if (!spec) throw unexpected(arg);
    if (!spec.value) {
      if (inline !== undefined) throw unexpected(arg);
      flags.add(spec.long);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new PublishUsageError(`The argument '--${spec.long} <${spec.value}>' requires a value but none was supplied`);
      value = argv[++i]!;
    }
    const list = values.get(spec.long) ?? [];
    list.push(value);
    values.set(spec.long, list);
  }

  if (flags.has('help')) return { kind: 'help' };
  if (flags.has('version')) return { kind: 'version' };
  if (positionals.length === 0) throw new PublishUsageError('The following required arguments were not provided:\n    <channel>');
  if (positionals.length > 2) throw unexpected(positionals[2]!);

  const last = (k: string): string | undefined => values.get(k)?.at(-1);
  const args: PublishArgs = {
    channel: positionals[0]!,
    code: last('code') ?? '200',
    headers: values.get('header') ?? [],
    meta: values.get('meta') ?? [],
    hint: flags.has('hint'),
    close: flags.has('close'),
    patch: flags.has('patch'),
    noSeq: flags.has('no-seq'),
    noEol: flags.has('no-eol'),
    spec: last('spec') ?? defaultSpec,
  };
  if (positionals[1] !== undefined) args.content = positionals[1];
  for (const [k, prop] of [['id', 'id'], ['prev-id', 'prevId'], ['sender', 'sender'], ['user', 'user'], ['bearer', 'bearer']] as const) {
    const v = last(k);
    if (v !== undefined) args[prop] = v;
  }
  const timeout = last('timeout');
  if (timeout !== undefined) {
    const n = Number(timeout);
    if (!/^\d+$/.test(timeout) || n <= 0) throw new PublishUsageError(`Invalid value for '--timeout <ms>': ${timeout}`);
    args.timeoutMs = n;
  }
  return { kind: 'run', args };
}
