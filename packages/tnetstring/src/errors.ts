/** Base class of every tnetstring error; callers branch on `code`. */
export class TnetstringError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'TnetstringError';
    this.code = code;
  }
}

export const codes = {
  PP_ERR_TNET_UNEXPECTED_END: 'PP_ERR_TNET_UNEXPECTED_END',
  PP_ERR_TNET_INVALID_LENGTH: 'PP_ERR_TNET_INVALID_LENGTH',
  PP_ERR_TNET_INVALID_DATA: 'PP_ERR_TNET_INVALID_DATA',
  PP_ERR_TNET_UNKNOWN_TAG: 'PP_ERR_TNET_UNKNOWN_TAG',
  PP_ERR_TNET_INVALID_KEY: 'PP_ERR_TNET_INVALID_KEY',
  PP_ERR_TNET_WRONG_TYPE: 'PP_ERR_TNET_WRONG_TYPE',
  PP_ERR_TNET_UNENCODABLE: 'PP_ERR_TNET_UNENCODABLE',
} as const;

export class UnexpectedEndError extends TnetstringError {
  constructor(message = 'unexpected end of input') { super(codes.PP_ERR_TNET_UNEXPECTED_END, message); this.name = 'UnexpectedEndError'; }
}
export class InvalidLengthError extends TnetstringError {
  constructor(message = 'invalid length prefix') { super(codes.PP_ERR_TNET_INVALID_LENGTH, message); this.name = 'InvalidLengthError'; }
}
export class InvalidDataError extends TnetstringError {
  constructor(message = 'invalid payload') { super(codes.PP_ERR_TNET_INVALID_DATA, message); this.name = 'InvalidDataError'; }
}
export class UnknownTagError extends TnetstringError {
  constructor(message = 'unknown type tag') { super(codes.PP_ERR_TNET_UNKNOWN_TAG, message); this.name = 'UnknownTagError'; }
}
export class InvalidKeyError extends TnetstringError {
  constructor(message = 'map key is not a UTF-8 byte string') { super(codes.PP_ERR_TNET_INVALID_KEY, message); this.name = 'InvalidKeyError'; }
}
export class WrongTypeError extends TnetstringError {
  constructor(message = 'value has the wrong type') { super(codes.PP_ERR_TNET_WRONG_TYPE, message); this.name = 'WrongTypeError'; }
}
export class UnencodableError extends TnetstringError {
  constructor(message = 'value cannot be encoded as a tnetstring') { super(codes.PP_ERR_TNET_UNENCODABLE, message); this.name = 'UnencodableError'; }
}
