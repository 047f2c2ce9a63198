import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Store, UsageDelta } from '../stores/store';

export interface UsageRecorderOptions {
  /** How often the counts are written; SPEC: usage is at most a minute behind. */
  flushIntervalMs: number;
}

/**
 * Counts token reads per map token in memory and writes them in batches, so that a read never waits for,
 * or adds, a MySQL write. A flush that fails (MySQL away) keeps its counts, and the next one adds them:
 * usage catches up after an outage. Started by server.ts after listen(); stop() writes what is left.
 */
export class UsageRecorder {
  private pending = new Map<number, Omit<UsageDelta, 'id'>>();
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly options: UsageRecorderOptions,
  ) {}

  /** One token read of map token `id`, now. No I/O. */
  record(id: number): void {
    const now = this.clock.now();
    const counted = this.pending.get(id);
    if (counted) {
      counted.reads += 1;
      counted.lastReadAt = Math.max(counted.lastReadAt, now);
    } else this.pending.set(id, { reads: 1, lastReadAt: now });
  }

  /** Map tokens with reads not yet written. */
  get unwritten(): number {
    return this.pending.size;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.options.flushIntervalMs);
    this.timer.unref();
  }

  /** Stops the timer and writes what is counted (graceful shutdown). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Writes the counts so far (one flush at a time); on failure they are kept for the next one. Never throws. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (!this.pending.size) return;
    const batch = this.pending;
    this.pending = new Map();
    this.flushing = this.write(batch).finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
  }

  private async write(batch: Map<number, Omit<UsageDelta, 'id'>>): Promise<void> {
    try {
      await this.store.mapTokens.addUsage([...batch].map(([id, counted]) => ({ id, ...counted })));
    } catch (error) {
      this.metrics.storeErrors.inc();
      this.logger.warn(
        { tokens: batch.size, err: error instanceof Error ? error.name : typeof error },
        'token usage not written; kept for the next flush',
      );
      // reads counted meanwhile are added to the ones kept
      for (const [id, counted] of batch) {
        const later = this.pending.get(id);
        this.pending.set(
          id,
          later ? { reads: later.reads + counted.reads, lastReadAt: Math.max(later.lastReadAt, counted.lastReadAt) } : counted,
        );
      }
    }
  }
}
