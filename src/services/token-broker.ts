import { LRUCache } from 'lru-cache';
import type { ArcgisClient } from '../arcgis/arcgis-client';
import { authTypeOf } from '../auth-types/auth-types';
import type { Clock } from '../clock';
import type { SecretBox } from '../crypto/secret-box';
import { environmentScope, inScope, type Scope } from '../domain';
import { EncryptionKeyMissingError, NotFoundError, StoreUnavailableError } from '../errors';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { DueMapToken, MapTokenRow, Store } from '../stores/store';
import { pauseOf, toTokenState, type TokenState, usable } from './token-state';
import { FORCED_RENEWAL_INTERVAL_MS, type RenewalMode as Mode, type RenewResult, sameToken, TokenRenewer } from './token-renewer';

export interface TokenBrokerOptions {
  cacheTtlMs: number;
  cacheMaxEntries: number;
  upstreamTimeoutMs: number;
  /** Numbers in [0, 1) for the jitter of retry pauses (Math.random unless a test pins it). */
  random?: () => number;
}

/**
 * Hands out tokens and renews them before anyone needs a new one, calling ArcGIS once per token lifetime.
 *
 * - A process-local LRU holds decrypted tokens; an entry is re-checked against the store at most every
 *   CACHE_TTL_SECONDS, so changes made through other instances show within that time.
 * - A read gets the cached token at once while it is unexpired; past its refresh point the read starts
 *   (or joins) one background renewal. Only a read with no usable token waits for ArcGIS.
 * - Renewals of one map token are merged in the process by mode: the reads that wait share one, the
 *   renewals ahead one, the forced ones one (never cached once settled, so a failure is retried). Renewals
 *   of different modes, and of other instances, meet at the token's named lock (MySQL GET_LOCK, or the
 *   embedded store's mutex), where a re-read of the row lets only the first one fetch.
 * - A failed renewal keeps the unexpired token (stale-if-error), records lastRefreshError on the row and
 *   pauses (growing, jittered) before the next try; with no unexpired token the error goes up.
 */
export class TokenBroker {
  private readonly cache: LRUCache<number, TokenState>;
  private readonly loads = new Map<string, Promise<TokenState>>();
  private readonly renewals = new Map<string, Promise<TokenState>>();
  private readonly renewer: TokenRenewer;
  /** When each missing ENCRYPTION_KEY id was last logged: once a minute each, not once per row or read. */
  private readonly missingKeysLogged = new Map<string, number>();

  constructor(
    private readonly store: Store,
    arcgis: ArcgisClient,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly options: TokenBrokerOptions,
  ) {
    this.cache = new LRUCache({ max: options.cacheMaxEntries });
    this.renewer = new TokenRenewer(store, arcgis, box, clock, logger, metrics, {
      cacheTtlMs: options.cacheTtlMs,
      // a holder's fetch takes at most two attempts of upstreamTimeoutMs (the ArcGIS client retries once after a
      // reset or a 5xx, never after a timeout); wait a little longer than that before going alone
      lockTimeoutSeconds: Math.ceil((options.upstreamTimeoutMs * 2.5) / 1000) + 1,
      random: options.random ?? Math.random,
    });
  }

  /** The hot path: the current token at once while it is unexpired; a wait for ArcGIS only when there is none. */
  async fresh(scope: Scope, id: number): Promise<TokenState> {
    return this.serve(await this.current(scope.environment, id), scope);
  }

  /** The same for a row the caller has just read from the store (an admin GET), without reading it again. */
  async freshRow(row: MapTokenRow, scope: Scope): Promise<TokenState> {
    const state = this.toState(row, this.sameEnvironment(this.cache.get(row.id), row.environment));
    this.cache.set(row.id, state);
    return this.serve(state, scope);
  }

  private async serve(found: TokenState, scope: Scope): Promise<TokenState> {
    const state = visibleTo(found, scope);
    // a token sealed with a key this instance lacks: neither served nor renewed from here (its secret is sealed alike)
    if (state.missingKeyId !== null) throw new EncryptionKeyMissingError(state.missingKeyId);
    const now = this.clock.now();
    if (usable(state, now)) {
      if (state.renewAt !== null && now >= state.renewAt) this.renewInBackground(state);
      return state;
    }
    // no amplification: inside the fleet's retry pause a read answers at once and calls nothing
    const paused = pauseOf(state, now);
    if (paused) throw paused;
    this.metrics.readWaits.inc();
    return visibleTo(await this.renewal(state, 'needed'), scope);
  }

  /**
   * A client's report that ArcGIS refused `rejected`: when it is the current token, a forced renewal (merged
   * across clients and instances, at most one per FORCED_RENEWAL_INTERVAL_MS); otherwise the current token.
   */
  async reportRejected(scope: Scope, id: number, rejected: string): Promise<TokenState> {
    const state = await this.fresh(scope, id);
    if (!authTypeOf(state).renews || state.token === null || !sameToken(state.token, rejected)) return state;
    const lastForced = state.row.forcedRenewalAt;
    if (lastForced !== null && this.clock.now() - lastForced < FORCED_RENEWAL_INTERVAL_MS) return state;
    return visibleTo(await this.renewal(state, 'forced', rejected), scope);
  }

  /** The scheduler's entry: renews one map token when it is due, whether or not anyone reads it. */
  async renewAhead(environment: string, id: number): Promise<void> {
    const state = await this.current(environment, id);
    // the instances that hold the key renew it; a failure recorded from here would hold them back
    if (state.missingKeyId !== null) return;
    if (state.renewAt === null || this.clock.now() < state.renewAt) return;
    await this.renewal(state, 'ahead');
  }

  /** Map tokens in this process's cache that are due: what the scheduler renews while the store is away. */
  dueInCache(now: number, limit: number): DueMapToken[] {
    const due: DueMapToken[] = [];
    for (const state of this.cache.values()) {
      if (due.length >= limit) break;
      if (state.renewAt !== null && state.renewAt <= now) due.push({ id: state.id, environment: state.environment });
    }
    return due;
  }

  /** Resolves when no renewal or re-read started so far is in flight (shutdown; tests). */
  async idle(): Promise<void> {
    while (this.renewals.size || this.loads.size) await Promise.allSettled([...this.renewals.values(), ...this.loads.values()]);
    await this.renewer.settled();
  }

  /** The stored token as it is, without a refresh (for lists and unchanged writes). */
  view(row: MapTokenRow): TokenState {
    const cached = this.cache.get(row.id);
    if (cached && cached.version === row.version && cached.tokenEnc === (row.token?.tokenEnc ?? null)) return cached;
    return this.toState(row, undefined);
  }

  /**
   * Puts a row just written through this instance in the cache, so that this instance sees the change
   * at once. `token` is the plaintext when it is known (just fetched or given), else it is decrypted.
   */
  prime(row: MapTokenRow, token?: string | null): TokenState {
    const state = this.toState(row, this.sameEnvironment(this.cache.get(row.id), row.environment), token);
    this.cache.set(row.id, state);
    return state;
  }

  evict(id: number): void {
    this.cache.delete(id);
  }

  /**
   * The cached state while it is younger than CACHE_TTL_SECONDS, else the row read again (merged per
   * environment). Past half the TTL a read starts that re-read in the background, so that under steady
   * traffic no read waits for MySQL either.
   */
  private async current(environment: string, id: number): Promise<TokenState> {
    const cached = this.sameEnvironment(this.cache.get(id), environment);
    const age = cached ? this.clock.now() - cached.checkedAt : Infinity;
    if (age < this.options.cacheTtlMs) {
      this.metrics.tokenCache.inc({ result: 'hit' });
      if (age >= this.options.cacheTtlMs / 2) this.reload(environment, id, cached).catch(() => undefined);
      return cached!;
    }
    this.metrics.tokenCache.inc({ result: 'miss' });
    return this.reload(environment, id, cached);
  }

  private reload(environment: string, id: number, cached: TokenState | undefined): Promise<TokenState> {
    // merged per environment too: a caller of another environment must never share (or spoil) this read
    const key = `${environment}\u0000${id}`;
    let pending = this.loads.get(key);
    if (!pending) {
      pending = this.load(environment, id, cached).finally(() => this.loads.delete(key));
      this.loads.set(key, pending);
    }
    return pending;
  }

  private async load(environment: string, id: number, cached: TokenState | undefined): Promise<TokenState> {
    let row: MapTokenRow | null;
    try {
      row = await this.store.mapTokens.get(environmentScope(environment), id);
    } catch (error) {
      const now = this.clock.now();
      if (error instanceof StoreUnavailableError && cached && usable(cached, now)) {
        // MySQL is away: keep serving what this process knows until it expires
        this.metrics.storeErrors.inc();
        this.metrics.staleFallbacks.inc();
        const kept = { ...cached, checkedAt: now };
        this.cache.set(id, kept);
        return kept;
      }
      throw error;
    }
    if (!row) {
      if (cached) this.cache.delete(id); // `cached` is set only when it belongs to this environment
      throw new NotFoundError(`Map token ${id} was not found.`);
    }
    const state = this.toState(row, cached);
    this.cache.set(id, state);
    return state;
  }

  private renewInBackground(state: TokenState): void {
    if (this.renewals.has(flightKey(state, 'ahead'))) return;
    // a failure is logged, counted and recorded on the row by failed(); the reader already has its token
    this.renewal(state, 'ahead').catch(() => undefined);
  }

  private renewal(state: TokenState, mode: Mode, rejected?: string): Promise<TokenState> {
    const key = flightKey(state, mode);
    const pending = this.renewals.get(key);
    if (pending) {
      this.metrics.refreshes.inc({ outcome: 'merged' });
      return pending;
    }
    const started = this.renew(state, mode, rejected).finally(() => this.renewals.delete(key));
    this.renewals.set(key, started);
    return started;
  }

  private async renew(state: TokenState, mode: Mode, rejected: string | undefined): Promise<TokenState> {
    let result: RenewResult;
    try {
      result = await this.renewer.renew(state, mode, rejected);
    } catch (error) {
      // Stryker disable next-line ConditionalExpression: equivalent; the renewer throws only NotFoundError, every other failure comes back as `error`
      if (error instanceof NotFoundError) this.cache.delete(state.id);
      throw error;
    }
    this.keep(result.state);
    // stale-if-error: a failed renewal still serves the token while it is unexpired, to every read; the
    // client whose report forced it is told that it failed (its token stays the current one)
    if (result.error && (mode === 'forced' || !usable(result.state, this.clock.now()))) throw result.error;
    return result.state;
  }

  /** Caches a renewal's result unless this process has meanwhile seen a newer admin write of the row. */
  private keep(state: TokenState): void {
    const cached = this.cache.get(state.id);
    // Stryker disable next-line ConditionalExpression: equivalent; ids are unique across environments, so the cached entry of an id renewed here is of its environment
    if (!cached || cached.environment !== state.environment || cached.version <= state.version) this.cache.set(state.id, state);
  }

  private sameEnvironment(state: TokenState | undefined, environment: string): TokenState | undefined {
    return state?.environment === environment ? state : undefined;
  }

  private toState(row: MapTokenRow, previous: TokenState | undefined, plaintext?: string | null): TokenState {
    const state = toTokenState(row, previous, this.box, this.clock.now(), plaintext);
    if (state.missingKeyId !== null) this.logMissingKey(state);
    return state;
  }

  /** Says which key is missing (its id, never a key), at most once a minute per key id. */
  private logMissingKey(state: TokenState): void {
    const keyId = state.missingKeyId as string;
    const now = this.clock.now();
    const last = this.missingKeysLogged.get(keyId);
    if (last !== undefined && now - last < MISSING_KEY_LOG_INTERVAL_MS) return;
    this.missingKeysLogged.set(keyId, now);
    this.logger.error(
      { mapTokenID: state.id, environment: state.environment, missingKeyId: keyId, heldKeyIds: this.box.keyIds },
      `map token ${state.id} is sealed with ENCRYPTION_KEY id ${keyId}, which this instance does not hold; its reads answer 503 until that key is added (docs/key-rotation.md)`,
    );
  }
}

const MISSING_KEY_LOG_INTERVAL_MS = 60_000;

function flightKey(state: TokenState, mode: Mode): string {
  return `${state.environment}\u0000${state.id}\u0000${mode}`;
}

/** The caller's scope applied to a state read for the whole environment (a cached one too). */
function visibleTo(state: TokenState, scope: Scope): TokenState {
  if (!inScope(scope, state)) throw new NotFoundError(`Map token ${state.id} was not found.`);
  return state;
}
