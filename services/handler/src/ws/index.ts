/**
 * GRIP WebSocket sessions in the handler: the WS-control sockets towards the proxy
 * (`[handler] proxy_ws_control_in_spec` PULL and `proxy_ws_control_out_spec` PUSH, both
 * connect; architecture.md §3.4) and the {@link WsSessions} they feed.
 */
import type { PushpinConfig } from '@pushpin-ts/config';
import { Receiver, Sender } from '@pushpin-ts/zhttp';
import type { SubscriptionHub } from '../hub.js';
import type { HandlerLog } from '../log.js';
import type { TimerWheel } from '../timer-wheel.js';
import { WsSessions } from './ws-sessions.js';

export { WsSession, type WsSessionContext, type WsSessionInfo } from './ws-session.js';
export { WsSessions, type WsSessionsOptions } from './ws-sessions.js';

export interface WsControlService {
  readonly sessions: WsSessions;
  close(): void;
}

/**
 * Connects the WS-control sockets (when configured) and starts serving ws sessions.
 * Returns undefined when `proxy_ws_control_in_spec`/`proxy_ws_control_out_spec` are not set.
 */
export async function startWsControl(o: {
  config: PushpinConfig; hub: SubscriptionHub; wheel: TimerWheel; log: HandlerLog & { warn(obj: object, msg: string): void }; instanceId: string;
}): Promise<WsControlService | undefined> {
  const h = o.config.handler;
  if (!h.proxyWsControlInSpec || !h.proxyWsControlOutSpec) {
    o.log.warn({}, 'no proxy_ws_control_in_spec / proxy_ws_control_out_spec: GRIP WebSocket sessions are not served');
    return undefined;
  }
  const input = new Receiver('pull', { specs: [h.proxyWsControlInSpec], bind: false }, o.log);
  // With `--proxy-bind` several proxies share this handler: a PUSH would spread items over them,
  // so items go out on a PUB, addressed `<proxy-id> ` (first frame) to the proxy holding the client.
  const shared = h.proxyWsControlOutSpec.startsWith('@');
  const output = new Sender(shared ? 'pub' : 'push', { specs: [h.proxyWsControlOutSpec], bind: false }, o.log);
  const sessions = new WsSessions({
    hub: o.hub, wheel: o.wheel, log: o.log, instanceId: o.instanceId,
    connectionSubscriptionMax: Math.max(0, h.connectionSubscriptionMax),
    output: shared ? (frame, proxy) => output.send([Buffer.from(`${proxy} `, 'latin1'), frame]) : (frame) => output.send(frame),
  });
  input.onMessage = (frames) => sessions.onFrames(frames);
  await output.start();
  await input.start();
  return {
    sessions,
    close() {
      sessions.close();
      try { input.close(); } catch { /* closed */ }
      try { output.close(); } catch { /* closed */ }
    },
  };
}
