/**
 * @pushpin-ts/publish: the `pushpin-publish` command (test-handler.md §2). The modules are
 * exported for tests and for embedding; the binary is bin/pushpin-publish.js.
 */
export { DEFAULT_SPEC, helpText, parseCommandLine, PROGRAM_NAME, USAGE, VERSION, type ParsedCommandLine, type PublishArgs } from './args.js';
export { PublishArgsError, PublishCliError, PublishSendError, PublishUsageError } from './errors.js';
export { parseBaseUrl, publishHttp, type GripBaseUrl, type HttpAuth } from './http-publish.js';
export { buildItem, itemToJson, parseCode, type Item, type ReadFile } from './item.js';
export { HTTP_TIMEOUT_MS, isHttpSpec, runPublish, ZMQ_TIMEOUT_MS } from './run.js';
export { publishZmq } from './zmq-publish.js';
