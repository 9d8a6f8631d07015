import { readFileSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { parseRoutes, RouteTable } from '@pushpin-ts/config';
import type { Log } from './log.js';

export interface RoutesSourceOptions {
  /** Routes file (absolute); ignored when `lines` is given. */
  file?: string | undefined;
  /** `--route` lines: replace the file entirely. */
  lines?: readonly string[] | undefined;
  /** Delay between a file change and the reload (Pushpin: about 1 s). */
  debounceMs?: number;
}

/**
 * The current route table: parsed from `--route` lines or the routes file, reloaded when the
 * file changes (watched through its directory, so editors that replace the file work) and on
 * `reload()` (SIGHUP). Broken lines are logged with file:line and skipped; a missing file
 * gives an empty table (every request then gets `502 Route not found`).
 */
export class RoutesSource {
  table = new RouteTable([]);
  /** Called after every (re)load. */
  onReload: () => void = () => undefined;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: RoutesSourceOptions, private readonly log: Log) {}

  load(): void {
    if (this.opts.lines && this.opts.lines.length) {
      this.apply(this.opts.lines.join('\n'), '--route');
      return;
    }
    const file = this.opts.file;
    if (file === undefined || file === '') {
      this.log.error({}, 'no routes file configured and no --route given; every request will get 502 Route not found');
      this.table = new RouteTable([]);
      this.onReload();
      return;
    }
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      this.log.error({ file, err: (err as NodeJS.ErrnoException).code ?? String(err) }, 'cannot read routes file; every request will get 502 Route not found');
      this.table = new RouteTable([]);
      this.onReload();
      return;
    }
    this.apply(text, file);
  }

  private apply(text: string, file: string): void {
    const parsed = parseRoutes(text, { file });
    for (const e of parsed.errors) {
      this.log.warn({ file: e.file ?? file, line: e.line, code: e.code }, `${e.message}; line skipped`);
    }
    this.table = new RouteTable(parsed.routes);
    this.log.info({ file, routes: this.table.routes.length }, 'routes loaded');
    this.onReload();
  }

  /** Starts watching the routes file (no-op with `--route` lines). */
  watch(): void {
    const file = this.opts.file;
    if ((this.opts.lines && this.opts.lines.length) || file === undefined || file === '' || this.watcher) return;
    const dir = path.dirname(file);
    const base = path.basename(file);
    try {
      this.watcher = watch(dir, { persistent: false }, (_event, name) => {
        if (name !== null && name !== base) return;
        this.schedule();
      });
      this.watcher.on('error', (err) => this.log.warn({ dir, err: String(err) }, 'routes directory watch failed'));
    } catch (err) {
      this.log.warn({ dir, err: String(err) }, 'cannot watch the routes file directory; reload with SIGHUP');
    }
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.timer = undefined; this.reload(); }, this.opts.debounceMs ?? 1000);
    this.timer.unref();
  }

  reload(): void {
    try {
      this.load();
    } catch (err) {
      this.log.error({ err: String(err) }, 'routes reload failed; keeping the previous table');
    }
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.timer) clearTimeout(this.timer);
  }
}
