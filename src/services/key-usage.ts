import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { KeyUse, Store } from '../stores/store';

/** How often the uses of the last interval are written: at most one write per key per instance per interval. */
const KEY_USAGE_INTERVAL_MS = 60_000;

/**
 * Each key's lastUsedAt, kept off the read path: a request only notes the time in memory, and a
 * background flush writes what was noted once a minute, one statement for every key used meanwhile.
 * While the store cannot be reached the noted uses wait for the next flush (a read never fails for
 * it); only a process that stops without a flush loses them, at most a minute's worth.
 * Started by server.ts after listen() and stopped on shutdown, which flushes what is left.
 */
export class KeyUsage {
  private noted = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Notes that key `id` was accepted now: one map write, nothing more. */
  note(id: number): void {
    this.noted.set(id, this.clock.now());
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), KEY_USAGE_INTERVAL_MS);
    this.timer.unref();
  }

  /** Stops the interval and writes what is still noted. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Writes the uses noted since the last flush; failures are logged and the uses kept for the next one. */
  async flush(): Promise<void> {
    await this.flushing;
    if (this.noted.size === 0) return;
    const taken = this.noted;
    this.noted = new Map();
    const uses: KeyUse[] = [...taken].map(([id, at]) => ({ id, at }));
    this.flushing = this.store.keys
      .recordUses(uses)
      .catch((error: unknown) => {
        // put them back unless a newer use was noted meanwhile
        for (const { id, at } of uses) if (!this.noted.has(id)) this.noted.set(id, at);
        this.logger.warn(
          { err: { type: (error as Error).name }, keys: uses.length },
          'could not record key usage; trying again in a minute',
        );
      })
      .finally(() => {
        this.flushing = undefined;
      });
    await this.flushing;
  }
}
