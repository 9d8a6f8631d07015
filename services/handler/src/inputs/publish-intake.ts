import type { PublishItem } from '@pushpin-ts/grip';
import type { Logger } from '@pushpin-ts/log';
import type { PublishSink } from '../hub-api.js';

/** Where an item came in; for logs and stats. */
export type PublishSource = 'http' | 'pull' | 'sub' | 'command';

/**
 * The single path from every publish input (HTTP, PULL, SUB, command) to the hub.
 *
 * Rate and queue limits: Pushpin's `message_rate` / `message_hwm` (publish.md §5) count
 * deliveries (item × subscriber) per route, which only the hub's fan-out knows, so they
 * belong there. An intake-wide limit (e.g. shedding publishes when the hub is saturated)
 * would go in {@link PublishIntake.publish}, before `sink.publish`.
 */
export class PublishIntake {
  /** Items accepted so far (stats `report.received`). */
  received = 0;
  /** Items accepted per input. */
  readonly receivedBy: Record<PublishSource, number> = { http: 0, pull: 0, sub: 0, command: 0 };

  constructor(private readonly sink: PublishSink, private readonly log: Logger) {}

  /** Hands validated items to the hub, in order. Never throws. */
  publish(items: PublishItem[], source: PublishSource): void {
    if (items.length === 0) return;
    this.received += items.length;
    this.receivedBy[source] += items.length;
    if (this.log.isLevelEnabled('debug')) {
      for (const item of items) this.log.debug({ source, channel: item.channel, id: item.id }, 'publish item received');
    }
    try {
      this.sink.publish(items);
    } catch (err) {
      this.log.error({ err: String(err), source, items: items.length }, 'hub failed to take published items');
    }
  }
}
