/**
 * Errors of the publish inputs. (Kept here rather than in the handler's src/errors.ts,
 * which another module owns; re-export from there when merging.)
 */

export class PublishInputError extends Error {
  readonly code = 'PP_ERR_HANDLER_INPUT_START';
  constructor(message = 'a publish input could not be started', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PublishInputError';
  }
}
