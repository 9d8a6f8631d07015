/**
 * Subscription filters (publish.md §4): delivery filters decide send/drop, content
 * filters rewrite the payload. Unknown names are ignored. Pure and synchronous, as in 1.36.
 */

import { FilterError } from './errors.js';
import { processFormat, type DirectiveHandler } from './format-template.js';

export interface FilterContext {
  /** Subscription meta (Grip-Set-Meta, set-meta control messages). */
  subMeta: Record<string, string>;
  /** Item meta. */
  pubMeta: Record<string, string>;
  /** Channels the session is subscribed to (for `require-sub`). */
  channels: Set<string>;
  /** channel → prev-id for the session's channels that have one (for `build-id`). */
  prevIds: Record<string, string>;
}

export type FilterAction = 'send' | 'drop';

export const FILTER_NAMES = ['skip-self', 'skip-users', 'require-sub', 'build-id', 'var-subst'] as const;
const DELIVERY = new Set(['skip-self', 'skip-users', 'require-sub']);
const CONTENT = new Set(['build-id', 'var-subst', 'http-modify']);

function own(rec: Record<string, string>, key: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(rec, key) ? rec[key] : undefined;
}

function deliveryAction(name: string, ctx: FilterContext): FilterAction {
  const user = own(ctx.subMeta, 'user') ?? '';
  switch (name) {
    case 'skip-self': {
      const sender = own(ctx.pubMeta, 'sender') ?? '';
      return user !== '' && sender === user ? 'drop' : 'send';
    }
    case 'skip-users': {
      const skip = (own(ctx.pubMeta, 'skip_users') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
      return user !== '' && skip.includes(user) ? 'drop' : 'send';
    }
    case 'require-sub': {
      const req = own(ctx.pubMeta, 'require_sub') ?? '';
      return req !== '' && !ctx.channels.has(req) ? 'drop' : 'send';
    }
    default:
      return 'send';
  }
}

/**
 * Runs the delivery filters (`skip-self`, `skip-users`, `require-sub`) in order; the first
 * `drop` wins.
 * @example applyDeliveryFilters(['skip-self'], { subMeta: { user: 'a' }, pubMeta: { sender: 'a' }, channels: new Set(), prevIds: {} }) // 'drop'
 */
export function applyDeliveryFilters(filters: readonly string[], ctx: FilterContext): FilterAction {
  for (const f of filters) if (DELIVERY.has(f) && deliveryAction(f, ctx) === 'drop') return 'drop';
  return 'send';
}

function substHandler(vars: Record<string, string>): DirectiveHandler {
  return (type, arg) => {
    if (type !== 's') return { error: `Unknown directive '${type}'` };
    if (arg === undefined) return { error: "Directive 's' requires argument" };
    const name = arg.toString('utf8');
    const v = own(vars, name);
    return v === undefined ? { error: `No such variable '${name}'` } : Buffer.from(v, 'utf8');
  };
}

function buildId(content: Buffer, ctx: FilterContext): Buffer {
  const idFormat = own(ctx.subMeta, 'id_format');
  if (idFormat === undefined) throw new FilterError("no sub meta 'id_format'");
  let defaultId: Buffer | undefined;
  // Pushpin renders the id only when the session has channels; each channel's prev-id is a variable.
  if (ctx.channels.size > 0 || Object.keys(ctx.prevIds).length > 0) {
    const r = processFormat(Buffer.from(idFormat, 'utf8'), substHandler(ctx.prevIds));
    if (!Buffer.isBuffer(r)) throw new FilterError(`failed to render ID: ${r.error}`);
    defaultId = r;
  }
  let hex = false;
  const enc = own(ctx.subMeta, 'id_encoding');
  if (enc !== undefined) {
    if (enc !== 'hex') throw new FilterError(`unsupported encoding: ${enc}`);
    hex = true;
  }
  const r = processFormat(content, (type, arg) => {
    if (type !== 'I') return { error: `Unknown directive '${type}'` };
    const id = arg ?? defaultId;
    if (id === undefined) return { error: 'No ID specified and no default ID in context' };
    return hex ? Buffer.from(id.toString('hex'), 'latin1') : id;
  });
  if (!Buffer.isBuffer(r)) throw new FilterError(r.error);
  return r;
}

function contentFilter(name: string, content: Buffer, ctx: FilterContext): Buffer {
  if (name === 'build-id') return buildId(content, ctx);
  if (name === 'var-subst') {
    const r = processFormat(content, substHandler(ctx.subMeta));
    if (!Buffer.isBuffer(r)) throw new FilterError(r.error);
    return r;
  }
  return content;
}

/**
 * Runs the content filters (`build-id`, `var-subst`) in order over an item's content.
 * @throws FilterError (PP_ERR_FILTER_FAILED) with Pushpin's message, e.g.
 *   `no sub meta 'id_format'`, `No such variable 'x' at position 5`; callers report
 *   `filter error: <message>`.
 * @example applyContentFilters(['var-subst'], Buffer.from('hi %(user)s'), ctx) // 'hi alice'
 */
export function applyContentFilters(filters: readonly string[], content: Buffer, ctx: FilterContext): Buffer {
  let out = content;
  for (const f of filters) out = contentFilter(f, out, ctx);
  return out;
}

/**
 * Filters for an initial / non-hold response body: only `build-id` applies there.
 * @throws FilterError as {@link applyContentFilters}.
 */
export function applyResponseFilters(filters: readonly string[], body: Buffer, ctx: FilterContext): Buffer {
  return applyContentFilters(filters.filter((f) => f === 'build-id'), body, ctx);
}

/** The subscription's content filters in order (what an item's `content-filters` must equal). */
export function contentFilterNames(filters: readonly string[]): string[] {
  return filters.filter((f) => CONTENT.has(f));
}

/**
 * Compares an item format's `content-filters` with the subscription (publish.md §4.3).
 * Returns Pushpin's `content filter mismatch: subscription=<a> message=<b>` text, or
 * undefined when the item has no list or the lists match.
 */
export function contentFilterMismatch(subFilters: readonly string[], itemFilters: readonly string[] | undefined): string | undefined {
  if (itemFilters === undefined) return undefined;
  const sub = contentFilterNames(subFilters);
  if (sub.length === itemFilters.length && sub.every((f, i) => f === itemFilters[i])) return undefined;
  return `content filter mismatch: subscription=${sub.join(',')} message=${itemFilters.join(',')}`;
}
