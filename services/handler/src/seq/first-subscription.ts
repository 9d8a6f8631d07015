/**
 * First-subscription update (grip.md §9.2 item 4): 1 s after a channel gets its first
 * subscriber, every HTTP session on it is updated (long-polls retried, streams refetch their
 * next link), so anything published while the backend was answering is caught. Pushpin 1.36
 * always does this; HEAD only with `update_on_first_subscription` (default true).
 */
import type { SubscriptionHub } from '../hub.js';
import type { HandlerLog } from '../log.js';
import type { TimerWheel, WheelTimer } from '../timer-wheel.js';

export const SUBSCRIBED_DELAY_MS = 1000;

export class FirstSubscriptionUpdater {
  private readonly timers = new Map<string, WheelTimer>();

  constructor(private readonly hub: SubscriptionHub, private readonly wheel: TimerWheel, private readonly log: HandlerLog, private readonly delayMs = SUBSCRIBED_DELAY_MS) {
    hub.onChannelAdded((ch) => this.added(ch));
    hub.onChannelRemoved((ch) => this.removed(ch));
  }

  private added(channel: string): void {
    this.wheel.cancel(this.timers.get(channel));
    this.timers.set(channel, this.wheel.schedule(this.delayMs, () => {
      this.timers.delete(channel);
      let n = 0;
      for (const s of this.hub.subscribersOf(channel)) {
        if (!s.update) continue;
        n++;
        try { s.update('low'); } catch (err) { this.log.warn({ err: String(err), cid: s.cid, channel }, 'first-subscription update failed'); }
      }
      if (n) this.log.debug({ channel, sessions: n }, 'first subscription: sessions updated');
    }));
  }

  private removed(channel: string): void {
    this.wheel.cancel(this.timers.get(channel));
    this.timers.delete(channel);
  }

  close(): void {
    for (const t of this.timers.values()) this.wheel.cancel(t);
    this.timers.clear();
  }
}
