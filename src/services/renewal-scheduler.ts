import type { Clock } from '../clock';
import { NotFoundError, StoreUnavailableError } from '../errors';
import type { Logger } from '../logger';
import type { DueMapToken, Store } from '../stores/store';
import type { TokenBroker } from './token-broker';

export interface RenewalSchedulerOptions {
  /** How often the store is asked what is due, whatever else happens. */
  intervalMs: number;
  /** Renewals in flight at once, per instance (RENEWAL_CONCURRENCY). */
  concurrency: number;
  /** The first tick comes after a random pause up to this long, so a fleet restarted together spreads out. */
  startJitterMs: number;
  /**
   * REFRESH_AHEAD=in-use: only tokens read or written within this window are renewed ahead (the store's
   * in-use range); null: every stored ArcGIS token (REFRESH_AHEAD=all).
   */
  idleWindowMs: number | null;
  random?: () => number;
}

/**
 * Renews ArcGIS tokens at their refresh point, read or not: those in use (REFRESH_AHEAD=in-use) or all of
 * them (REFRESH_AHEAD=all).
 *
 * One indexed query finds what is due, earliest first; up to `concurrency` renewals run at once and the
 * next due one starts as soon as a slot frees (from the rows the last query returned, or a new query when
 * they are used up), so one instance renews as fast as ArcGIS answers. A tick every interval asks again
 * however busy the slots are. Several instances may pick the same row: the broker's try-lock and re-read
 * make one of them call ArcGIS and the others step aside. While the store cannot be reached, it renews
 * what this process holds in its cache. Started by server.ts after listen(); stop() ends the ticks and
 * waits for the renewals in flight.
 */
export class RenewalScheduler {
  private readonly running = new Map<string, Promise<void>>();
  /** Rows started since the last tick: still due only when another instance holds them or they failed; asked again next tick. */
  private readonly started = new Set<string>();
  private readonly random: () => number;
  private queue: DueMapToken[] = [];
  /** Whether the last query returned every row that was due then. */
  // Stryker disable next-line BooleanLiteral: equivalent; every query sets it before fill() first reads it
  private exhausted = true;
  private querying: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = true;
  /** Set by stop(): nothing more starts, not even from a query that answers after it. Ticks called directly (tests) start renewals too. */
  private halted = false;

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
    this.halted = false;
    this.schedule(Math.floor(this.random() * this.options.startJitterMs));
  }

  /** Stops ticking and waits for the renewals in flight (each bounded by UPSTREAM_TIMEOUT_MS and the lock timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.halted = true;
    clearTimeout(this.timer);
    await this.ticking;
    await this.idle();
  }

  /** Resolves when the renewals this scheduler started (and those started as slots freed) are done. */
  async idle(): Promise<void> {
    while (this.running.size || this.querying) await Promise.allSettled([...this.running.values(), this.querying]);
    await this.broker.idle();
  }

  /** One round: find what is due and start renewing it. Resolves once the renewals are started, not finished. */
  async tick(): Promise<void> {
    await this.querying;
    this.started.clear();
    await this.refill();
  }

  /** Renewals this scheduler has in flight (the gauge mtp_renewals_in_flight). */
  get inFlight(): number {
    return this.running.size;
  }

  /** Where the store's due query starts: tokens used since then are in use. */
  usedSince(now: number): number | undefined {
    return this.options.idleWindowMs === null ? undefined : now - this.options.idleWindowMs;
  }

  private refill(): Promise<void> {
    this.querying ??= this.query().finally(() => {
      this.querying = undefined;
    });
    return this.querying;
  }

  private async query(): Promise<void> {
    const free = this.options.concurrency - this.running.size;
    if (free <= 0) return;
    const now = this.clock.now();
    // rows in flight or started since the last tick may still be due: ask for enough to skip them, plus a
    // slot's worth more so that freed slots start the next ones without a query each
    const limit = free + this.options.concurrency + this.running.size + this.started.size;
    let due: DueMapToken[];
    try {
      due = await this.store.mapTokens.due(now, limit, this.usedSince(now));
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) {
        // a broken query is not asked again as each slot frees: the next tick does
        this.exhausted = true;
        throw error;
      }
      due = this.broker.dueInCache(now, limit);
    }
    this.exhausted = due.length < limit;
    // rows started since the last tick are skipped by begin()
    this.queue = due;
    this.fill();
  }

  /** Starts queued renewals while slots are free; asks the store for more when the queue runs dry and more were due. */
  private fill(): void {
    if (this.halted) return;
    while (this.running.size < this.options.concurrency) {
      const next = this.queue.shift();
      if (!next) break;
      this.begin(next);
    }
    // with every slot taken, query() returns before asking the store
    if (!this.exhausted && !this.querying) {
      this.refill().catch((error: unknown) => this.logger.error({ err: error }, 'renewal scheduler query failed'));
    }
  }

  private begin({ environment, id }: DueMapToken): void {
    const key = keyOf(environment, id);
    if (this.running.has(key) || this.started.has(key)) return;
    this.started.add(key);
    const renewal = this.broker
      .renewAhead(environment, id)
      .catch((error: unknown) => {
        // the broker logged and recorded an ArcGIS failure; what is left here is a row gone or a store away
        if (!(error instanceof NotFoundError))
          this.logger.debug({ mapTokenID: id, environment, err: error }, 'scheduled renewal did not run');
      })
      .finally(() => {
        this.running.delete(key);
        this.fill();
      });
    this.running.set(key, renewal);
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

const keyOf = (environment: string, id: number) => `${environment}\u0000${id}`;
