export { encode, encodeWithPrefix } from './encode.js';
export { decode, decodeMap } from './decode.js';
export { TnFloat, type TnMap, type TnValue } from './value.js';
export * from './errors.js';
export { toPlain } from './plain.js';
