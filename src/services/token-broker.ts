import { timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { ArcgisClient, ArcgisToken } from '../arcgis/arcgis-client';
import type { Clock } from '../clock';
import type { SecretBox } from '../crypto/secret-box';
import { ApiError, NotFoundError, StoreUnavailableError, UpstreamError, UpstreamRejectedError, UpstreamTimeoutError } from '../errors';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { environmentScope, inScope, type Scope } from '../domain';
import type { DueMapToken, MapTokenRow, RefreshFailure, Store } from '../stores/store';
import { renewAtOf, retryPauseMs } from '../token-timing';
import { credentialsOf } from './arcgis-credentials';
import { serverOf, toIsoOrNull, type TokenState, usable } from './token-state';

export interface TokenBrokerOptions {
  cacheTtlMs: number;
  cacheMaxEntries: number;
  upstreamTimeoutMs: number;
  /** Numbers in [0, 1) for the jitter of retry pauses (Math.random unless a test pins it). */
  random?: () => number;
}

/** A client's rejected-token report forces at most one renewal per map token in this window. */
const FORCED_RENEWAL_INTERVAL_MS = 30_000;
/** A renewal ahead that found another instance renewing leaves it alone this long, then re-reads the row. */
const BUSY_PAUSE_MS = 1000;

/**
 * ahead: the token still works; renew it if nobody else is (try-lock), respecting the fleet's back-off.
 * needed: a read has no usable token and waits. forced: a client reported the current token rejected.
 */
type Mode = 'ahead' | 'needed' | 'forced';
type Renewed = { state: TokenState } | { failed: unknown; row: MapTokenRow };

/**
 * Hands out tokens and renews them before anyone needs a new one, calling ArcGIS once per token lifetime.
 *
 * - A process-local LRU holds decrypted tokens; an entry is re-checked against the store at most every
 *   CACHE_TTL_SECONDS, so changes made through other instances show within that time.
 * - A read gets the cached token at once while it is unexpired; past its refresh point the read starts
 *   (or joins) one background renewal. Only a read with no usable token waits for ArcGIS.
 * - Renewals of one map token are merged in the process (never cached once settled, so a failure is
 *   retried); across instances a MySQL named lock and a re-read under it make one instance fetch.
 * - A failed renewal keeps the unexpired token (stale-if-error), records lastRefreshError on the row and
 *   pauses (growing, jittered) before the next try; with no unexpired token the error goes up.
 */
export class TokenBroker {
  private readonly cache: LRUCache<number, TokenState>;
  // Merged in-flight work stays in these maps rather than in lru-cache's fetch(): a read is merged per
  // environment but cached per id, a renewal per mode and under a lock shared by every instance, a failed
  // renewal must still serve the unexpired token (and record the failure on the row), and idle() awaits them.
  private readonly loads = new Map<string, Promise<TokenState>>();
  private readonly renewals = new Map<string, Promise<TokenState>>();
  private readonly lockTimeoutSeconds: number;
  private readonly random: () => number;

  constructor(
    private readonly store: Store,
    private readonly arcgis: ArcgisClient,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly options: TokenBrokerOptions,
  ) {
    this.cache = new LRUCache({ max: options.cacheMaxEntries });
    // a holder may retry once after a timeout; wait a little longer than that before going alone
    this.lockTimeoutSeconds = Math.ceil((options.upstreamTimeoutMs * 2.5) / 1000) + 1;
    this.random = options.random ?? Math.random;
  }

  /** The hot path: the current token at once while it is unexpired; a wait for ArcGIS only when there is none. */
  async fresh(scope: Scope, id: number): Promise<TokenState> {
    const state = visibleTo(await this.current(scope.environment, id), scope);
    const now = this.clock.now();
    if (usable(state, now)) {
      if (state.renewAt !== null && now >= state.renewAt) this.renewInBackground(state);
      return state;
    }
    this.metrics.readWaits.inc();
    return visibleTo(await this.renewal(state, 'needed'), scope);
  }

  /**
   * A client's report that ArcGIS refused `rejected`: when it is the current token, a forced renewal (merged
   * across clients and instances, at most one per FORCED_RENEWAL_INTERVAL_MS); otherwise the current token.
   */
  async reportRejected(scope: Scope, id: number, rejected: string): Promise<TokenState> {
    const state = await this.fresh(scope, id);
    if (state.authType === 'static' || state.token === null || !sameToken(state.token, rejected)) return state;
    const lastForced = state.row.forcedRenewalAt;
    if (lastForced !== null && this.clock.now() - lastForced < FORCED_RENEWAL_INTERVAL_MS) return state;
    return visibleTo(await this.renewal(state, 'forced', rejected), scope);
  }

  /** The scheduler's entry: renews one map token when it is due, whether or not anyone reads it. */
  async renewAhead(environment: string, id: number): Promise<void> {
    const state = await this.current(environment, id);
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

  /** Resolves when no renewal started so far is in flight (shutdown; tests). */
  async idle(): Promise<void> {
    while (this.renewals.size) await Promise.allSettled([...this.renewals.values()]);
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

  /** The cached state while it is younger than CACHE_TTL_SECONDS, else the row read again (merged per environment). */
  private async current(environment: string, id: number): Promise<TokenState> {
    const cached = this.sameEnvironment(this.cache.get(id), environment);
    if (cached && this.clock.now() - cached.checkedAt < this.options.cacheTtlMs) {
      this.metrics.tokenCache.inc({ result: 'hit' });
      return cached;
    }
    this.metrics.tokenCache.inc({ result: 'miss' });
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
      // the whole environment: this read is shared by callers of every organization, each checked after it
      row = await this.store.mapTokens.get(environmentScope(environment), id);
    } catch (error) {
      const now = this.clock.now();
      if (error instanceof StoreUnavailableError && cached && usable(cached, now)) {
        // MySQL is away: keep serving what this process knows until it expires
        this.metrics.storeErrors.inc();
        this.metrics.staleServed.inc();
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
    let outcome: Renewed;
    try {
      outcome = await this.renewUnderLock(state, mode, rejected);
    } catch (error) {
      if (error instanceof NotFoundError) {
        this.cache.delete(state.id);
        throw error;
      }
      outcome = { failed: error, row: state.row };
    }
    if ('failed' in outcome) return this.failed(state, outcome.row, outcome.failed, mode);
    this.cache.set(state.id, outcome.state);
    return outcome.state;
  }

  private async renewUnderLock(state: TokenState, mode: Mode, rejected: string | undefined): Promise<Renewed> {
    try {
      // ahead: another instance holding the lock is renewing this token already; leave it to them
      return await this.store.withLock(`mtp:token:${state.id}`, mode === 'ahead' ? 0 : this.lockTimeoutSeconds, async (acquired) => {
        if (!acquired && mode === 'ahead') return { state: this.steppedAside(state) };
        // re-read under the lock: another instance may have renewed while we waited for it
        const current = await this.store.mapTokens.get(environmentScope(state.environment), state.id);
        if (!current) throw new NotFoundError(`Map token ${state.id} was not found.`);
        const known = this.toState(current, state);
        if (!this.stillNeeded(known, mode, rejected)) {
          this.metrics.refreshes.inc({ outcome: 'reused' });
          return { state: known };
        }
        return this.fetchAndSave(current, mode === 'forced');
      });
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      // MySQL is away: renew from the credentials this process holds; the token lives here until it is back
      this.metrics.storeErrors.inc();
      return this.fetchAndSave(state.row, mode === 'forced');
    }
  }

  /** Another instance is renewing: no new try from here for a moment, and a re-read of its result then. */
  private steppedAside(state: TokenState): TokenState {
    const now = this.clock.now();
    return { ...state, renewAt: now + BUSY_PAUSE_MS, checkedAt: Math.min(state.checkedAt, now + BUSY_PAUSE_MS - this.options.cacheTtlMs) };
  }

  /** Decided under the lock, on the row as it is now. */
  private stillNeeded(known: TokenState, mode: Mode, rejected: string | undefined): boolean {
    const now = this.clock.now();
    if (!usable(known, now)) return true;
    if (mode === 'needed') return false;
    if (mode === 'ahead') return known.renewAt !== null && now >= known.renewAt; // renewed, or the fleet is pausing
    if (known.token === null || !sameToken(known.token, rejected ?? '')) return false; // replaced since the report (usable: never null here)
    const lastForced = known.row.forcedRenewalAt;
    return lastForced === null || now - lastForced >= FORCED_RENEWAL_INTERVAL_MS;
  }

  private async fetchAndSave(row: MapTokenRow, forced: boolean): Promise<Renewed> {
    let fetched: ArcgisToken;
    try {
      fetched = await this.fetchFor(row);
    } catch (error) {
      return { failed: error, row };
    }
    const issuedAt = this.clock.now();
    const token = { tokenEnc: this.box.encrypt(fetched.accessToken), issuedAt, expiresAt: issuedAt + fetched.expiresInSeconds * 1000 };
    const forcedAt = forced ? issuedAt : undefined;
    try {
      // false: an admin changed the row meanwhile; the token still serves this read, the next read re-checks
      await this.store.mapTokens.saveToken(row.id, row.version, token, forcedAt);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      this.metrics.storeErrors.inc();
      this.logger.warn({ mapTokenID: row.id, environment: row.environment }, 'token renewed while the database is unavailable; kept in this process');
    }
    this.metrics.refreshes.inc({ outcome: 'fetched' });
    const renewed = { ...row, token, renewAt: renewAtOf(row.authType, token), refreshFailures: 0, lastRefreshError: null, forcedRenewalAt: forcedAt ?? row.forcedRenewalAt };
    return { state: this.toState(renewed, undefined, fetched.accessToken) };
  }

  private fetchFor(row: MapTokenRow) {
    // the client throws upstream errors only (a URL the allowlist no longer admits is one: AuthUrlNotAllowedError)
    return this.arcgis.fetchToken(credentialsOf(row, this.box));
  }

  /** Records the failure (on the row, for every instance), pauses, and serves the unexpired token if there is one. */
  private async failed(state: TokenState, row: MapTokenRow, error: unknown, mode: Mode): Promise<TokenState> {
    const now = this.clock.now();
    this.metrics.refreshes.inc({ outcome: 'failed' });
    const failure: RefreshFailure = { at: now, ...describeFailure(error) };
    const failures = row.refreshFailures + 1;
    const retryAt = now + retryPauseMs(failures, this.random());
    await this.store.mapTokens.recordRefreshFailure(row.id, row.version, failure, failures, retryAt).catch(() => this.metrics.storeErrors.inc());
    const next = this.toState({ ...row, renewAt: retryAt, refreshFailures: failures, lastRefreshError: failure }, state);
    // the token a client reported rejected, which could not be replaced, is not handed out again
    if (mode === 'forced') next.rejected = true;
    this.cache.set(row.id, next);
    const fields = { mapTokenID: row.id, environment: row.environment, kind: failure.kind, reason: failure.message, failures, retryInMs: retryAt - now };
    if (usable(next, now)) {
      this.metrics.staleServed.inc();
      this.logger.warn(fields, 'token renewal failed; serving the unexpired token (stale-if-error)');
      return next;
    }
    this.logger.error(fields, 'token renewal failed and no unexpired token is left');
    throw error instanceof ApiError ? error : new UpstreamError('Could not get a token from ArcGIS.');
  }

  private sameEnvironment(state: TokenState | undefined, environment: string): TokenState | undefined {
    return state?.environment === environment ? state : undefined;
  }

  private toState(row: MapTokenRow, previous: TokenState | undefined, plaintext?: string | null): TokenState {
    const tokenEnc = row.token?.tokenEnc ?? null;
    const same = previous !== undefined && previous.tokenEnc === tokenEnc && plaintext === undefined;
    let token: string | null;
    if (plaintext !== undefined) token = plaintext;
    else if (same) token = previous.token;
    else token = tokenEnc === null ? null : this.box.decrypt(tokenEnc);
    const expiresAt = row.token?.expiresAt ?? null;
    return {
      id: row.id,
      environment: row.environment,
      organizationId: row.organizationId,
      authType: row.authType,
      version: row.version,
      tokenEnc,
      token,
      issuedAt: row.token?.issuedAt ?? null,
      expiresAt,
      expiresAtIso: same && previous.expiresAt === expiresAt ? previous.expiresAtIso : toIsoOrNull(expiresAt),
      server: serverOf(row.authUrl),
      ssl: row.authUrl?.startsWith('https:') ?? false,
      checkedAt: this.clock.now(),
      renewAt: row.renewAt,
      lastRefreshError: row.lastRefreshError,
      rejected: same && previous.rejected,
      row,
    };
  }
}

function flightKey(state: TokenState, mode: Mode): string {
  return `${state.environment}\u0000${state.id}\u0000${mode}`;
}

/** The caller's scope applied to a state read for the whole environment (a cached one too). */
function visibleTo(state: TokenState, scope: Scope): TokenState {
  if (!inScope(scope, state)) throw new NotFoundError(`Map token ${state.id} was not found.`);
  return state;
}

/** Constant time for equal lengths; a token of another length is another token. */
function sameToken(current: string, reported: string): boolean {
  const a = Buffer.from(current);
  const b = Buffer.from(reported);
  return a.length === b.length && timingSafeEqual(a, b);
}

function describeFailure(error: unknown): Pick<RefreshFailure, 'kind' | 'message'> {
  if (error instanceof UpstreamRejectedError) return { kind: 'rejected', message: error.arcgisMessage };
  if (error instanceof UpstreamTimeoutError) return { kind: 'timeout', message: error.message };
  if (error instanceof ApiError) return { kind: 'error', message: error.message };
  return { kind: 'error', message: 'unexpected error' };
}
