/** Base class: every pushpin-publish error carries a stable `code`. */
export abstract class PublishCliError extends Error {
  abstract readonly code: string;
}

/**
 * The command line could not be parsed (clap-style message; main prints it with usage and
 * exits 1).
 */
export class PublishUsageError extends PublishCliError {
  override readonly name = 'PublishUsageError';
  readonly code = 'PP_ERR_PUBLISH_USAGE';
  constructor(message = 'invalid command line') { super(message); }
}

/** The arguments are well-formed but unusable (`Error: <message>`, exit 1). */
export class PublishArgsError extends PublishCliError {
  override readonly name = 'PublishArgsError';
  readonly code = 'PP_ERR_PUBLISH_ARGS';
  constructor(message = 'invalid arguments') { super(message); }
}

/** Publishing failed: the server refused the item, or it could not be reached in time. */
export class PublishSendError extends PublishCliError {
  override readonly name = 'PublishSendError';
  readonly code = 'PP_ERR_PUBLISH_SEND';
  constructor(message = 'publish failed') { super(message); }
}
