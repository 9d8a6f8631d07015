/**
 * Publish inputs of pushpin-handler (publish.md §6–§9): HTTP control API, ZeroMQ PULL and
 * SUB sockets, the command socket, the stats PUB socket (fed by the hub and by the proxy's
 * stats SUB) and the Prometheus endpoint. Inputs validate items; the hub sequences and
 * delivers them.
 */

import type { AddressInfo } from 'node:net';
import type { PushpinConfig } from '@pushpin-ts/config';
import type { Logger } from '@pushpin-ts/log';
import { Sender } from '@pushpin-ts/zhttp';
import { startCommandServer } from '../command/index.js';
import { zmqUris } from '../command/zmq-uris.js';
import type { Hub, HubStatsEvents } from '../hub-api.js';
import { PublishInputError } from './errors.js';
import { startHttpControl } from './http-control.js';
import { PublishIntake } from './publish-intake.js';
import { startProxyStatsInput } from './proxy-stats-input.js';
import { StatsPublisher, type StatsFormat } from './stats-publisher.js';
import { startPullInput, startSubInput } from './zmq-inputs.js';
import { handlerCounters, handlerMetricDefs, renderMetrics, sanitizePrefix, startMetricsServer } from '../metrics/index.js';

export { negotiateFormat, messageBody, type ControlFormat } from './accept-negotiation.js';
export { PublishInputError } from './errors.js';
export { startHttpControl, type HttpControl, type HttpControlOptions } from './http-control.js';
export { PublishIntake, type PublishSource } from './publish-intake.js';
export { encodeStatsPacket, StatsPublisher, type StatsFields, type StatsFormat, type StatsOptions, type SubscriptionMode } from './stats-publisher.js';
export { SubscriptionForwarder, startPullInput, startSubInput, type ZmqInput } from './zmq-inputs.js';
export { decodeZmqItem, type ZmqItemResult } from './zmq-message.js';
export { decodeStatsPacket, type StatsPacketResult } from './stats-packet.js';
export { startProxyStatsInput, PROXY_STATS_MALFORMED, type ProxyStatsInputOptions } from './proxy-stats-input.js';

export interface PublishInputsOptions {
  config: PushpinConfig;
  hub: Hub;
  log: Logger;
  /** Stats `from`, e.g. `pushpin-handler_13175`. */
  instanceId: string;
}

export interface PublishInputs {
  /** Closes every socket and timer; hub events arriving later are ignored. */
  close(): void;
  /** Where the HTTP control API listens (undefined when push_in_http_port is not set). */
  readonly httpAddress?: AddressInfo;
  /**
   * Stats packets (undefined when stats_spec is empty). `report` runs by itself; the hub
   * should call `subscription`/`unsubscription`, `connection`/`disconnection`, `message`
   * and `activity` as things change, since only it knows modes and counts.
   */
  readonly stats?: StatsPublisher;
}

async function step<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new PublishInputError(`cannot start ${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/**
 * Starts every configured publish input. Unset specs (empty string, push_in_http_port -1)
 * are skipped.
 * @throws PublishInputError (PP_ERR_HANDLER_INPUT_START) naming the socket that could not
 *   be bound; anything already started is closed first.
 * @example const inputs = await startPublishInputs({ config, hub, log, instanceId: 'pushpin-handler_1' });
 */
export async function startPublishInputs(opts: PublishInputsOptions): Promise<PublishInputs> {
  const { config, hub, instanceId } = opts;
  const h = config.handler;
  const log = opts.log.child({ module: 'publish-inputs' });
  const closers: Array<() => void> = [];
  const closeAll = (): void => {
    for (const c of closers.reverse()) {
      try { c(); } catch (err) { log.warn({ err: String(err) }, 'error while closing a publish input'); }
    }
    closers.length = 0;
  };
  const intake = new PublishIntake(hub, log);
  const ipcFileMode = h.ipcFileMode >= 0 ? h.ipcFileMode : undefined;
  let httpAddress: AddressInfo | undefined;
  let stats: StatsPublisher | undefined;
  /** Requests the proxy reported in `counts` packets (Pushpin's handler `request_received`). */
  let proxyRequests = 0;

  try {
    if (h.pushInHttpPort >= 0) {
      const http = await step(`HTTP control API on ${h.pushInHttpAddr}:${h.pushInHttpPort}`, () => startHttpControl({
        addr: h.pushInHttpAddr, port: h.pushInHttpPort,
        maxHeadersSize: h.pushInHttpMaxHeadersSize, maxBodySize: h.pushInHttpMaxBodySize,
        intake, hub, log,
      }));
      closers.push(() => http.close());
      httpAddress = http.address;
    }
    if (h.pushInSpec !== '') {
      const pull = await step(`publish PULL socket on ${h.pushInSpec}`, () => startPullInput({ spec: h.pushInSpec, intake, log, ...(ipcFileMode !== undefined ? { ipcFileMode } : {}) }));
      closers.push(() => pull.close());
    }
    const subSpecs = h.pushInSubSpecs.filter((s) => s !== '');
    if (subSpecs.length > 0) {
      const sub = await step(`publish SUB socket on ${subSpecs.join(',')}`, () => startSubInput({
        specs: subSpecs, connect: h.pushInSubConnect, hub, intake, log, ...(ipcFileMode !== undefined ? { ipcFileMode } : {}),
      }));
      closers.push(() => sub.close());
    }
    if (h.commandSpec !== '') {
      const uris = zmqUris(h);
      const cmd = await step(`command socket on ${h.commandSpec}`, () => startCommandServer(h.commandSpec, {
        hub, uris, log, publish: (items) => intake.publish(items, 'command'),
      }));
      closers.push(() => cmd.close());
    }
    if (h.statsSpec !== '') {
      const sender = new Sender('pub', { specs: [h.statsSpec], bind: true, ...(ipcFileMode !== undefined ? { ipcFileMode } : {}) }, log);
      closers.push(() => sender.close());
      await step(`stats socket on ${h.statsSpec}`, () => sender.start());
      const format: StatsFormat = h.statsFormat === 'json' ? 'json' : 'tnetstring';
      const s = new StatsPublisher((frame) => sender.send(frame), {
        from: instanceId, format,
        subscriptionTtl: h.statsSubscriptionTtl, connectionTtl: config.global.statsConnectionTtl,
        reportInterval: h.statsReportInterval, subscriptionLinger: h.subscriptionLinger,
        connectionCount: () => hub.connectionCount(), received: () => intake.received,
      });
      s.start();
      closers.push(() => s.close());
      stats = s;
      // feed the stats from the hub when it reports changes (HubStatsEvents, hub-api.ts)
      const ev = hub as Hub & Partial<HubStatsEvents>;
      // WebSocket connections stay with the proxy, which reports them (with the client's
      // address, which the handler never sees); as in Pushpin, the handler reports only its holds
      ev.onConnectionAdded?.((c) => { if (c.mode !== 'ws') s.connection(c.cid, { type: 'http', peerAddress: c.peerAddress }); });
      ev.onConnectionRemoved?.((cid) => s.disconnection(cid));
      ev.onSubscribers?.((mode, channel, n) => s.subscription(mode, channel, n));
      ev.onDelivered?.((channel, id, transport, n) => s.message(channel, id, transport, n));
    }
    if (h.proxyStatsSpec !== '') {
      const spec = h.proxyStatsSpec;
      const input = await step(`proxy stats SUB socket on ${spec}`, () => startProxyStatsInput({
        spec, log, ...(ipcFileMode !== undefined ? { ipcFileMode } : {}),
        onPacket: (type, fields) => {
          const n = fields['requests-received'];
          if (type === 'counts' && typeof n === 'number' && Number.isFinite(n) && n > 0) proxyRequests += n;
          if (stats && !stats.ingest(type, fields)) log.debug({ type }, 'IN proxy stats: packet not used');
        },
      }));
      closers.push(() => input.close());
    }
    if (h.prometheusPort) {
      const port = h.prometheusPort;
      const defs = handlerMetricDefs(handlerCounters({
        hub: hub as Hub & Partial<HubStatsEvents>,
        received: () => intake.received, receivedBy: () => intake.receivedBy, requestsReceived: () => proxyRequests,
      }));
      const prefix = sanitizePrefix(h.prometheusPrefix);
      const server = await step(`prometheus endpoint on ${port.addr || '*'}:${port.port}`, () => startMetricsServer({
        addr: port.addr || '0.0.0.0', port: port.port, render: () => renderMetrics(prefix, defs), log,
      }));
      closers.push(() => server.close());
    }
  } catch (err) {
    log.error({ err: err instanceof Error ? err.message : String(err) }, 'publish inputs failed to start');
    closeAll();
    throw err;
  }

  return {
    close: closeAll,
    ...(httpAddress ? { httpAddress } : {}),
    ...(stats ? { stats } : {}),
  };
}
