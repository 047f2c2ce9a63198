import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Store } from '../stores/store';

/** What a write-behind buffer of the store is built from. */
export interface WriteBehindParts {
  store: Store;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
}

export interface WriteBehindOptions<V> {
  /** What is kept, for the log line of a failed write ("key usage", "token usage"). */
  what: string;
  /** How often what was noted is written. */
  intervalMs: number;
  /** One value from an earlier and a later one noted for the same id (both may be changed and returned). */
  merge(earlier: V, later: V): V;
  /** Writes one batch: every id noted since the last write. */
  write(batch: ReadonlyMap<number, V>): Promise<void>;
}

/**
 * Values noted per id in memory, off the request path, written in batches on an interval: a request
 * never waits for, or adds, a MySQL write. A write that fails (MySQL away) keeps its batch, merged with
 * what was noted meanwhile, for the next one; only a process that stops without `stop()` loses what it
 * noted since the last write. One write at a time. Started by server.ts after listen(); `stop()` writes
 * what is left (graceful shutdown). The ids are those of existing rows the caller has already found, so
 * the map is bounded by the store.
 */
export abstract class WriteBehind<V> {
  private pending = new Map<number, V>();
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  private readonly logger: Logger;
  private readonly metrics: Metrics;

  constructor(
    private readonly options: WriteBehindOptions<V>,
    parts: Pick<WriteBehindParts, 'logger' | 'metrics'>,
  ) {
    this.logger = parts.logger;
    this.metrics = parts.metrics;
  }

  /** Notes `value` for `id`: one map write, no I/O. */
  protected add(id: number, value: V): void {
    const earlier = this.pending.get(id);
    this.pending.set(id, earlier === undefined ? value : this.options.merge(earlier, value));
  }

  /** Ids with values not yet written. */
  get unwritten(): number {
    return this.pending.size;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops the interval and writes what is still noted. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Writes what was noted so far (after a write under way); on failure it is kept for the next one. Never throws. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.writing = this.write(batch).finally(() => {
      this.writing = undefined;
    });
    await this.writing;
  }

  private async write(batch: Map<number, V>): Promise<void> {
    try {
      await this.options.write(batch);
    } catch (error) {
      this.metrics.storeErrors.inc();
      this.logger.warn(
        { ids: batch.size, err: { type: error instanceof Error ? error.name : typeof error } },
        `${this.options.what} not written; kept for the next write`,
      );
      // what was noted meanwhile is later than the batch
      for (const [id, value] of batch) {
        const later = this.pending.get(id);
        this.pending.set(id, later === undefined ? value : this.options.merge(value, later));
      }
    }
  }
}
