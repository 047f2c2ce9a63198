import { LRUCache } from 'lru-cache';
import { ArcgisClient } from '../arcgis/arcgis-client';
import { Clock } from '../clock';
import { SecretBox } from '../crypto/secret-box';
import { ApiError, BadRequestError, NotFoundError, StoreUnavailableError, UpstreamError } from '../errors';
import { Logger } from '../logger';
import { Metrics } from '../metrics';
import { MapTokenRow, Store } from '../stores/store';
import { credentialsOf } from './arcgis-credentials';
import { refreshMarginMs, toIsoOrNull, TokenState } from './token-state';

export interface TokenBrokerOptions {
  cacheTtlMs: number;
  cacheMaxEntries: number;
  upstreamTimeoutMs: number;
}

/** After a failed refresh, stale-if-error serves the old token and waits this long before trying again. */
const RETRY_AFTER_FAILURE_MS = 2000;

/**
 * Hands out tokens with at least the refresh margin left, calling ArcGIS once per token lifetime.
 *
 * - A process-local LRU holds decrypted tokens; an entry is re-checked against the store at most every
 *   CACHE_TTL_SECONDS, so changes made through other instances show within that time.
 * - Concurrent misses for one map token share one promise (never cached once settled, so a failure
 *   is retried by the next read); across instances a MySQL named lock and a re-read under it make the
 *   first instance fetch and the others reuse its result.
 * - A failed refresh serves the unexpired token (stale-if-error); with none, the error goes up.
 */
export class TokenBroker {
  private readonly cache: LRUCache<number, TokenState>;
  private readonly inFlight = new Map<string, Promise<TokenState>>();
  private readonly lockTimeoutSeconds: number;

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
  }

  /** The hot path: a token with at least the refresh margin left (or a static token as stored). */
  async fresh(environment: string, id: number, organizationId: number | null): Promise<TokenState> {
    const now = this.clock.now();
    const cached = this.cache.get(id);
    if (cached && cached.environment === environment && now - cached.checkedAt < this.options.cacheTtlMs && servable(cached, now)) {
      this.metrics.tokenCache.inc({ result: 'hit' });
      return visibleTo(cached, organizationId);
    }
    this.metrics.tokenCache.inc({ result: 'miss' });
    // merged per environment too: a caller of another environment must never share (or spoil) this read
    const flight = `${environment}\u0000${id}`;
    let pending = this.inFlight.get(flight);
    if (pending) {
      this.metrics.refreshes.inc({ outcome: 'merged' });
    } else {
      pending = this.resolve(environment, id, cached?.environment === environment ? cached : undefined).finally(() => this.inFlight.delete(flight));
      this.inFlight.set(flight, pending);
    }
    return visibleTo(await pending, organizationId);
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
    const cached = this.cache.get(row.id);
    const state = this.toState(row, cached?.environment === row.environment ? cached : undefined, token);
    this.cache.set(row.id, state);
    return state;
  }

  evict(id: number): void {
    this.cache.delete(id);
  }

  private async resolve(environment: string, id: number, cached: TokenState | undefined): Promise<TokenState> {
    const now = this.clock.now();
    let row: MapTokenRow | null;
    try {
      row = await this.store.mapTokens.get(environment, id);
    } catch (error) {
      if (error instanceof StoreUnavailableError && cached && unexpired(cached, now)) {
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
    if (servable(state, now)) {
      this.cache.set(id, state);
      return state;
    }
    try {
      const refreshed = await this.refresh(row);
      this.cache.set(id, refreshed);
      return refreshed;
    } catch (error) {
      if (error instanceof NotFoundError) {
        if (cached) this.cache.delete(id);
        throw error;
      }
      this.metrics.refreshes.inc({ outcome: 'failed' });
      const reason = error instanceof ApiError ? error.message : 'unexpected error';
      if (unexpired(state, this.clock.now())) {
        this.logger.warn({ mapTokenID: id, environment, reason }, 'token refresh failed; serving the unexpired token (stale-if-error)');
        this.metrics.staleServed.inc();
        const stale = { ...state, retryAfter: this.clock.now() + RETRY_AFTER_FAILURE_MS };
        this.cache.set(id, stale);
        return stale;
      }
      this.logger.error({ mapTokenID: id, environment, reason }, 'token refresh failed and no unexpired token is left');
      throw error;
    }
  }

  private async refresh(row: MapTokenRow): Promise<TokenState> {
    return this.store.withLock(`mtp:token:${row.id}`, this.lockTimeoutSeconds, async () => {
      // re-read under the lock: another instance may have refreshed while we waited for it
      const current = await this.store.mapTokens.get(row.environment, row.id);
      if (!current) throw new NotFoundError(`Map token ${row.id} was not found.`);
      const state = this.toState(current, undefined);
      if (servable(state, this.clock.now())) {
        this.metrics.refreshes.inc({ outcome: 'reused' });
        return state;
      }
      const fetched = await this.arcgis
        .fetchToken(credentialsOf(current, this.box))
        .catch((error: unknown) => {
          // the allowlist was narrowed after this item was stored: the reader is not at fault
          if (error instanceof BadRequestError) throw new UpstreamError('The stored authURL is no longer allowed by AUTH_URL_ALLOWLIST.');
          throw error;
        });
      const issuedAt = this.clock.now();
      const token = { tokenEnc: this.box.encrypt(fetched.accessToken), issuedAt, expiresAt: issuedAt + fetched.expiresInSeconds * 1000 };
      // false: an admin changed the row meanwhile; the token still works for this read, the next read re-checks
      await this.store.mapTokens.saveToken(current.id, current.version, token);
      this.metrics.refreshes.inc({ outcome: 'fetched' });
      return this.toState({ ...current, token }, undefined, fetched.accessToken);
    });
  }

  private toState(row: MapTokenRow, previous: TokenState | undefined, plaintext?: string | null): TokenState {
    const tokenEnc = row.token?.tokenEnc ?? null;
    let token: string | null;
    if (plaintext !== undefined) token = plaintext;
    else if (previous && previous.tokenEnc === tokenEnc) token = previous.token;
    else token = tokenEnc === null ? null : this.box.decrypt(tokenEnc);
    return {
      id: row.id,
      environment: row.environment,
      organizationId: row.organizationId,
      authType: row.authType,
      version: row.version,
      tokenEnc,
      token,
      issuedAt: row.token?.issuedAt ?? null,
      expiresAt: row.token?.expiresAt ?? null,
      expiresAtIso: toIsoOrNull(row.token?.expiresAt ?? null),
      checkedAt: this.clock.now(),
      retryAfter: 0,
    };
  }
}

/** Whether a state can be handed out now without asking ArcGIS. */
function servable(state: TokenState, now: number): boolean {
  if (state.authType === 'static') return true;
  if (state.token === null || state.expiresAt === null) return false;
  if (state.expiresAt - now >= refreshMarginMs(state)) return true;
  return state.retryAfter > now && state.expiresAt > now;
}

function unexpired(state: TokenState, now: number): boolean {
  if (state.token === null) return false;
  return state.expiresAt === null ? state.authType === 'static' : state.expiresAt > now;
}

function visibleTo(state: TokenState, organizationId: number | null): TokenState {
  if (organizationId !== null && state.organizationId !== organizationId) throw new NotFoundError(`Map token ${state.id} was not found.`);
  return state;
}
