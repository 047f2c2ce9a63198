import { timingSafeEqual } from 'node:crypto';
import type { ArcgisClient } from '../arcgis/arcgis-client';
import type { ArcgisToken } from '../arcgis/token-request';
import { authTypeOf } from '../auth-types/auth-types';
import type { Clock } from '../clock';
import type { SecretBox } from '../crypto/secret-box';
import {
  ApiError,
  EncryptionKeyMissingError,
  NotFoundError,
  StoreUnavailableError,
  UpstreamError,
  UpstreamRejectedError,
  UpstreamTimeoutError,
} from '../errors';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { MapTokenRow, RefreshFailure, Store } from '../stores/store';
import { expiryOf, retryPauseMs } from '../token-timing';
import { environmentScope } from '../domain';
import { pauseOf, toTokenState, type TokenState, usable } from './token-state';

/** A client's rejected-token report forces at most one renewal per map token in this window. */
export const FORCED_RENEWAL_INTERVAL_MS = 30_000;
/** A renewal ahead that found another instance renewing leaves it alone this long, then re-reads the row. */
const BUSY_PAUSE_MS = 1000;

/**
 * ahead: the token still works; renew it if nobody else is (try-lock), respecting the fleet's back-off.
 * needed: a read has no usable token and waits. forced: a client reported the current token rejected.
 */
export type RenewalMode = 'ahead' | 'needed' | 'forced';
type Mode = RenewalMode;
type Renewed = { state: TokenState } | { failed: unknown };

/** What a renewal came to: the new state, or (with `error`) the failure recorded and the state to fall back on. */
export interface RenewResult {
  state: TokenState;
  error?: ApiError;
}

export interface TokenRenewerOptions {
  cacheTtlMs: number;
  /** How long a renewal that needs a token waits for another instance holding the lock. */
  lockTimeoutSeconds: number;
  random: () => number;
}

/**
 * One renewal of one map token, across instances: under the token's MySQL named lock, re-read the row,
 * call ArcGIS only if no other instance renewed it meanwhile, store the result (or the failure, with the
 * pause before the next try) for every instance. While MySQL is away it renews from the row this process
 * last read. The broker merges renewals in the process and owns the cache.
 */
export class TokenRenewer {
  private readonly writes = new Set<Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly arcgis: ArcgisClient,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly options: TokenRenewerOptions,
  ) {}

  /** Resolves when the failures recorded so far are written (shutdown; tests). */
  async settled(): Promise<void> {
    while (this.writes.size) await Promise.allSettled([...this.writes]);
  }

  private track(write: Promise<unknown>): void {
    const tracked = write.then(
      () => undefined,
      () => void this.metrics.storeErrors.inc(),
    );
    this.writes.add(tracked);
    void tracked.finally(() => this.writes.delete(tracked));
  }

  /**
   * Throws NotFoundError when the row is gone, EncryptionKeyMissingError when its secret is sealed with a
   * key this instance lacks (nothing is recorded: the instances holding the key renew it); every other
   * failure comes back as `error`.
   */
  async renew(state: TokenState, mode: Mode, rejected: string | undefined): Promise<RenewResult> {
    try {
      return await this.underLock(state, mode, rejected);
    } catch (error) {
      if (error instanceof NotFoundError || error instanceof EncryptionKeyMissingError) throw error;
      return this.failed(state, state.row, error, mode, false);
    }
  }

  private async underLock(state: TokenState, mode: Mode, rejected: string | undefined): Promise<RenewResult> {
    try {
      // ahead: another instance holding the lock is renewing this token already; leave it to them
      return await this.store.withLock(
        `mtp:token:${state.id}`,
        mode === 'ahead' ? 0 : this.options.lockTimeoutSeconds,
        async (acquired) => {
          if (!acquired && mode === 'ahead') return { state: this.steppedAside(state) };
          // re-read under the lock: another instance may have renewed, or failed and set a pause, meanwhile
          const current = await this.store.mapTokens.get(environmentScope(state.environment), state.id);
          if (!current) throw new NotFoundError(`Map token ${state.id} was not found.`);
          const known = this.state(current, state);
          const now = this.clock.now();
          if (!this.stillNeeded(known, mode, rejected)) {
            this.metrics.refreshes.inc({ outcome: 'reused' });
            return { state: known };
          }
          // the fleet's retry pause binds reads and reports too: no call to ArcGIS before it ends
          const paused = pauseOf(known, now);
          if (paused) return { state: known, error: paused };
          const outcome = await this.fetchAndSave(current, mode === 'forced');
          // the new token, or the failure with its pause (and a report's 30 s window), is on the row before
          // the lock is released: the next holder re-reads it
          return 'failed' in outcome ? await this.failed(known, current, outcome.failed, mode, true) : outcome;
        },
      );
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      // MySQL is away: renew from the credentials this process holds; the token lives here until it is back
      this.metrics.storeErrors.inc();
      const outcome = await this.fetchAndSave(state.row, mode === 'forced');
      return 'failed' in outcome ? this.failed(state, state.row, outcome.failed, mode, false) : outcome;
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
    // Stryker disable next-line ConditionalExpression: equivalent; without it a usable token falls to the forced check, where no token (never empty) matches an absent report
    if (mode === 'needed') return false;
    if (mode === 'ahead') return known.renewAt !== null && now >= known.renewAt; // renewed, or the fleet is pausing
    // replaced since the report; a forced renewal always carries the report, the fallback only satisfies the type
    // Stryker disable next-line StringLiteral: equivalent; see above
    if (!sameToken(known.token!, rejected ?? '')) return false;
    const lastForced = known.row.forcedRenewalAt;
    return lastForced === null || now - lastForced >= FORCED_RENEWAL_INTERVAL_MS;
  }

  private async fetchAndSave(row: MapTokenRow, forced: boolean): Promise<Renewed> {
    let fetched: ArcgisToken;
    try {
      fetched = await this.fetchFor(row);
    } catch (error) {
      if (error instanceof EncryptionKeyMissingError) throw error;
      return { failed: error };
    }
    const issuedAt = this.clock.now();
    const token = { tokenEnc: this.box.encrypt(fetched.accessToken), issuedAt, expiresAt: expiryOf(issuedAt, fetched.expiresInSeconds) };
    const forcedAt = forced ? issuedAt : undefined;
    const renewAt = authTypeOf(row).renewAt(token);
    try {
      // false: an admin changed the credentials meanwhile; the token still serves this read, the next read re-checks
      await this.store.mapTokens.saveToken(row, token, renewAt, forcedAt);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      this.metrics.storeErrors.inc();
      this.logger.warn(
        { mapTokenID: row.id, environment: row.environment },
        'token renewed while the database is unavailable; kept in this process',
      );
    }
    this.metrics.refreshes.inc({ outcome: 'fetched' });
    const renewed = {
      ...row,
      token,
      renewAt,
      refreshFailures: 0,
      lastRefreshError: null,
      forcedRenewalAt: forcedAt ?? row.forcedRenewalAt,
    };
    return { state: this.state(renewed, undefined, fetched.accessToken) };
  }

  private fetchFor(row: MapTokenRow) {
    const request = authTypeOf(row).tokenRequest(row, (sealed) => this.box.decrypt(sealed));
    // unreachable: a type whose tokens are not fetched is never due (renewAt null) nor unusable
    // Stryker disable next-line StringLiteral: equivalent; the text of an unexpected error is neither recorded nor answered
    if (request === null) throw new Error(`a ${row.authType} map token is not renewed`);
    // a URL taken off the allowlist since the row was written comes back as the client's own 502
    return this.arcgis.fetchToken(request);
  }

  /**
   * Records the failure (on the row, for every instance) and when to try again; logs it. Under the lock
   * the record is awaited, so that the next holder sees the pause; without the store it is written in the
   * background (and fails fast).
   */
  private async failed(state: TokenState, row: MapTokenRow, error: unknown, mode: Mode, underLock: boolean): Promise<RenewResult> {
    const now = this.clock.now();
    this.metrics.refreshes.inc({ outcome: 'failed' });
    const failure: RefreshFailure = { at: now, ...describeFailure(error) };
    const failures = row.refreshFailures + 1;
    const retryAt = now + retryPauseMs(failures, this.options.random());
    // a forced renewal counts toward the 30 s window even when it fails
    const forcedAt = mode === 'forced' ? now : undefined;
    const record = this.store.mapTokens.recordRefreshFailure(row, failure, failures, retryAt, forcedAt);
    if (underLock) await record.catch(() => void this.metrics.storeErrors.inc());
    else this.track(record);
    const recorded = {
      ...row,
      renewAt: retryAt,
      refreshFailures: failures,
      lastRefreshError: failure,
      forcedRenewalAt: forcedAt ?? row.forcedRenewalAt,
    };
    // stale-if-error: the token keeps being served while it is unexpired, whoever asked for the renewal
    const next = this.state(recorded, state);
    const fields = {
      mapTokenID: row.id,
      environment: row.environment,
      kind: failure.kind,
      reason: failure.message,
      failures,
      retryInMs: retryAt - now,
    };
    if (usable(next, now)) {
      this.metrics.staleFallbacks.inc();
      this.logger.warn(fields, 'token renewal failed; serving the unexpired token (stale-if-error)');
    } else {
      this.logger.error(fields, 'token renewal failed and no unexpired token is left');
    }
    return { state: next, error: error instanceof ApiError ? error : new UpstreamError('Could not get a token from ArcGIS.') };
  }

  private state(row: MapTokenRow, previous: TokenState | undefined, plaintext?: string | null): TokenState {
    return toTokenState(row, previous, this.box, this.clock.now(), plaintext);
  }
}

/** Constant time for equal lengths; a token of another length is another token. */
export function sameToken(current: string, reported: string): boolean {
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
