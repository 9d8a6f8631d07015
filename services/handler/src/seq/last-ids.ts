/**
 * Per-channel "last id" (publish.md §3.1, grip.md §9.1): the id of the last item delivered on
 * a channel. Bounded like Pushpin's (1 000 000 channels): past the bound the least recently
 * set channel is forgotten.
 */

export const LAST_IDS_MAX = 1_000_000;

export class LastIds {
  private readonly ids = new Map<string, string>();

  constructor(private readonly max = LAST_IDS_MAX) {}

  get(channel: string): string | undefined { return this.ids.get(channel); }

  set(channel: string, id: string): void {
    // re-insert so iteration order is "least recently set first"
    this.ids.delete(channel);
    this.ids.set(channel, id);
    if (this.ids.size > this.max) {
      const oldest = this.ids.keys().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
  }

  delete(channel: string): void { this.ids.delete(channel); }

  clear(): void { this.ids.clear(); }

  get size(): number { return this.ids.size; }
}
