/**
 * The handler's metrics: Pushpin 1.36's five (`request_received`, `connection_connected`,
 * `connection_minute`, `message_received`, `message_sent`) plus ours: subscriptions per
 * mode, messages dropped, messages received per input.
 */

import type { MetricDef } from '@pushpin-ts/log';

export interface HandlerMetricsSource {
  requestsReceived(): number;
  connections(): number;
  connectionMinutes(): number;
  messagesReceived(): number;
  messagesReceivedBy(): Readonly<Record<string, number>>;
  messagesSent(): number;
  messagesDropped(): number;
  subscriptions(): Readonly<Record<string, number>>;
}

/** Metric definitions over `src`, in Pushpin's order, then ours. */
export function handlerMetricDefs(src: HandlerMetricsSource): MetricDef[] {
  return [
    { name: 'request_received', type: 'counter', help: 'Number of requests received', collect: () => src.requestsReceived() },
    { name: 'connection_connected', type: 'gauge', help: 'Number of concurrent connections', collect: () => src.connections() },
    { name: 'connection_minute', type: 'counter', help: 'Number of minutes clients have been connected', collect: () => src.connectionMinutes() },
    { name: 'message_received', type: 'counter', help: 'Number of messages received by the publish API', collect: () => src.messagesReceived() },
    { name: 'message_sent', type: 'counter', help: 'Number of messages sent to clients', collect: () => src.messagesSent() },
    { name: 'message_dropped', type: 'counter', help: 'Number of message deliveries dropped (rate limit hwm)', collect: () => src.messagesDropped() },
    {
      name: 'message_received_input', type: 'counter', help: 'Number of messages received, per publish input',
      collect: () => Object.entries(src.messagesReceivedBy()).map(([input, value]) => ({ labels: { input }, value })),
    },
    {
      name: 'subscription_active', type: 'gauge', help: 'Number of subscribed channels, per mode',
      collect: () => Object.entries(src.subscriptions()).map(([mode, value]) => ({ labels: { mode }, value })),
    },
  ];
}
