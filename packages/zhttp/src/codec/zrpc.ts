import { decodeMap, encode, TnetstringError, type TnMap, type TnValue } from '@pushpin-ts/tnetstring';
import { ZrpcFormatError } from '../errors.js';

/** A ZRPC request (spec architecture.md §2.3). No `T` prefix on the wire. */
export interface ZrpcRequest { id?: Buffer; method: string; args: TnMap; from?: string }
/** A ZRPC response. */
export interface ZrpcResponse { id?: Buffer; success: boolean; value?: TnValue; condition?: string }

/** @throws ZrpcFormatError (PP_ERR_ZRPC_FORMAT) when the message is not a request map. */
export function decodeZrpcRequest(buf: Buffer): ZrpcRequest {
  let m: TnMap;
  try { m = decodeMap(buf); } catch (e) {
    if (e instanceof TnetstringError) throw new ZrpcFormatError(`tnetstring parse failed: ${e.message}`);
    throw e;
  }
  const method = m['method'];
  if (!Buffer.isBuffer(method)) throw new ZrpcFormatError("request has no 'method' byte string");
  const args = m['args'];
  let a: TnMap = Object.create(null) as TnMap;
  if (args !== undefined && args !== null) {
    if (typeof args !== 'object' || Array.isArray(args) || Buffer.isBuffer(args)) throw new ZrpcFormatError("'args' is not a map");
    a = args as TnMap;
  }
  const id = m['id'];
  const from = m['from'];
  return {
    ...(Buffer.isBuffer(id) ? { id } : {}),
    method: method.toString('utf8'),
    args: a,
    ...(Buffer.isBuffer(from) ? { from: from.toString('latin1') } : {}),
  };
}

export function encodeZrpcRequest(r: ZrpcRequest): Buffer {
  const m: Record<string, TnValue> = {};
  if (r.from !== undefined) m['from'] = r.from;
  if (r.id !== undefined) m['id'] = r.id;
  m['method'] = r.method;
  m['args'] = r.args;
  return encode(m);
}

/** @throws ZrpcFormatError when the message is not a response map. */
export function decodeZrpcResponse(buf: Buffer): ZrpcResponse {
  let m: TnMap;
  try { m = decodeMap(buf); } catch (e) {
    if (e instanceof TnetstringError) throw new ZrpcFormatError(`tnetstring parse failed: ${e.message}`);
    throw e;
  }
  const success = m['success'];
  if (typeof success !== 'boolean') throw new ZrpcFormatError("response has no boolean 'success'");
  const id = m['id'];
  const cond = m['condition'];
  const out: ZrpcResponse = { success };
  if (Buffer.isBuffer(id)) out.id = id;
  if (m['value'] !== undefined) out.value = m['value'];
  if (Buffer.isBuffer(cond)) out.condition = cond.toString('latin1');
  return out;
}

export function encodeZrpcResponse(r: ZrpcResponse): Buffer {
  const m: Record<string, TnValue> = {};
  if (r.id !== undefined) m['id'] = r.id;
  m['success'] = r.success;
  if (r.condition !== undefined) m['condition'] = r.condition;
  // as Pushpin: a success always has a value (null when none); an error only when it was given
  if (r.success || r.value !== undefined) m['value'] = r.value === undefined ? null : r.value;
  return encode(m);
}
