import type { Clock } from '../clock';
import { NotFoundError, StoreUnavailableError } from '../errors';
import type { Logger } from '../logger';
import type { DueMapToken, Store } from '../stores/store';
import type { TokenBroker } from './token-broker';

export interface RenewalSchedulerOptions {
  /** How often the store is asked what is due. */
  intervalMs: number;
  /** Renewals in flight at once, per instance. */
  concurrency: number;
  /** The first tick comes after a random pause up to this long, so a fleet restarted together spreads out. */
  startJitterMs: number;
  random?: () => number;
}

/**
 * REFRESH_AHEAD=all: renews every stored ArcGIS token at its refresh point, read or not.
 *
 * Each tick runs one indexed query (`renew_at <= now`, earliest first, at most as many rows as there are
 * free slots) and hands what is due to the broker, at most `concurrency` at a time. Several instances
 * may pick the same row: the broker's try-lock and re-read make one of them call ArcGIS and the others
 * step aside. While the store cannot be reached, the tick renews what this process holds in its cache.
 * Started by server.ts after listen(); stop() ends the ticks and waits for the renewals in flight.
 */
export class RenewalScheduler {
  private readonly running = new Map<string, Promise<void>>();
  private readonly random: () => number;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly store: Store,
    private readonly broker: TokenBroker,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: RenewalSchedulerOptions,
  ) {
    this.random = options.random ?? Math.random;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(Math.floor(this.random() * this.options.startJitterMs));
  }

  /** Stops ticking and waits for the renewals in flight (each bounded by UPSTREAM_TIMEOUT_MS and the lock timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    await this.idle();
  }

  /** Resolves when the renewals this scheduler started are done. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running.values()]);
    await this.broker.idle();
  }

  /** One round: find what is due and start renewing it. Resolves once the renewals are started, not finished. */
  async tick(): Promise<void> {
    const free = this.options.concurrency - this.running.size;
    if (free <= 0) return;
    const now = this.clock.now();
    // rows this instance is renewing are still due until they are saved: ask for enough to skip them
    const limit = free + this.running.size;
    let due: DueMapToken[];
    try {
      due = await this.store.mapTokens.due(now, limit);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      due = this.broker.dueInCache(now, limit);
    }
    for (const { environment, id } of due) {
      if (this.running.size >= this.options.concurrency) break;
      const key = `${environment}\u0000${id}`;
      if (this.running.has(key)) continue;
      const renewal = this.broker
        .renewAhead(environment, id)
        .catch((error: unknown) => {
          // the broker logged and recorded an ArcGIS failure; what is left here is a row gone or a store away
          if (!(error instanceof NotFoundError))
            this.logger.debug({ mapTokenID: id, environment, err: error }, 'scheduled renewal did not run');
        })
        .finally(() => this.running.delete(key));
      this.running.set(key, renewal);
    }
  }

  /** Renewals this scheduler has in flight. */
  get inFlight(): number {
    return this.running.size;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick()
        .catch((error: unknown) => this.logger.error({ err: error }, 'renewal scheduler tick failed'))
        .finally(() => {
          this.ticking = undefined;
          this.schedule(this.options.intervalMs);
        });
    }, delayMs);
    this.timer.unref();
  }
}
