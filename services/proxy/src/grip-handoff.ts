import type { Route } from '@pushpin-ts/config';
import type { TnValue } from '@pushpin-ts/tnetstring';
import type { AcceptArgs, AcceptResult, Header, ResponderSession, ResponseData } from '@pushpin-ts/zhttp';
import type { ClientRequest } from './client-request.js';

/** Calls the handler's `accept` method (ZRPC); rejects on timeout or a remote error. */
export type AcceptService = (args: AcceptArgs) => Promise<AcceptResult>;

/** What the proxy knows about a session when it hands it to the handler (architecture.md §5.2). */
export interface HandoffInput {
  /** The condure-side session state after handoff-proceed. */
  session: { peerId: string; id: string; inSeq: number; outSeq: number; credits: number };
  userData?: TnValue | undefined;
  req: ClientRequest;
  /** Headers as sent to the backend. */
  outHeaders: Header[];
  body: Buffer;
  response: ResponseData;
  route: Pick<Route, 'id' | 'prefix'>;
  trusted: boolean;
  debug: boolean;
  autoCrossOrigin: boolean;
  logicalPeer?: string | undefined;
  sig?: { iss: string; keyText: string } | undefined;
  /** The session came back from the handler (`retry` packet). */
  isRetry?: boolean;
}

/**
 * The `accept` call arguments: the request (as forwarded and as received), the backend's
 * response, and the condure session's sequence/credit state so the handler can continue it.
 */
export function buildAcceptArgs(i: HandoffInput): AcceptArgs {
  const rq: AcceptArgs['requests'][number] = {
    rid: { sender: i.session.peerId, id: i.session.id },
    https: i.req.isTls,
    debug: i.debug,
    isRetry: i.isRetry === true,
    autoCrossOrigin: i.autoCrossOrigin,
    inSeq: i.session.inSeq,
    outSeq: i.session.outSeq,
    outCredits: i.session.credits,
  };
  if (i.req.peerAddress !== undefined) rq.peerAddress = i.req.peerAddress;
  if (i.logicalPeer !== undefined) rq.logicalPeerAddress = i.logicalPeer;
  if (i.userData !== undefined) rq.userData = i.userData;
  const args: AcceptArgs = {
    requests: [rq],
    requestData: { method: i.req.method, uri: i.req.uri, headers: i.outHeaders, body: i.body },
    origRequestData: { method: i.req.method, uri: i.req.uri, headers: i.req.headers, body: i.body },
    response: i.response,
    route: i.route.id,
    trusted: i.trusted,
  };
  if (i.route.prefix !== '') args.channelPrefix = i.route.prefix;
  if (i.sig) { args.sigIss = i.sig.iss; args.sigKey = i.sig.keyText; }
  return args;
}

/** How a handoff ended: the handler took the session, declined it (maybe with a response), or could not be asked. */
export type HandoffOutcome = { accepted: true } | { accepted: false; response?: ResponseData } | { error: Error };

/**
 * Hands a session to the handler (zhttp.md §5, architecture.md §5.2): sends handoff-start,
 * and when the connection manager answers handoff-proceed, calls `accept` with arguments
 * built from the session state at that moment (its in/out sequence numbers and credits).
 * Nothing more may be sent on `cs` until `done` reports the outcome.
 */
export function handOff(cs: ResponderSession, accept: AcceptService, args: () => AcceptArgs, done: (o: HandoffOutcome) => void): void {
  cs.onhandoffproceed = () => {
    let a: AcceptArgs;
    try {
      a = args();
    } catch (err) {
      done({ error: err as Error });
      return;
    }
    accept(a).then(
      (r) => done(r.accepted ? { accepted: true } : r.response ? { accepted: false, response: r.response } : { accepted: false }),
      (err: unknown) => done({ error: err instanceof Error ? err : new Error(String(err)) }),
    );
  };
  cs.handoffStart();
}
