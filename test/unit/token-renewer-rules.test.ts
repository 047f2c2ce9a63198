import { AuthUrlNotAllowedError } from '../../src/arcgis/auth-url-allowlist';
import { environmentScope } from '../../src/domain';
import {
  EncryptionKeyMissingError,
  RenewalPausedError,
  StoreUnavailableError,
  UpstreamError,
  UpstreamRejectedError,
} from '../../src/errors';
import { SecretBox } from '../../src/crypto/secret-box';
import { toTokenState, type TokenState, usable } from '../../src/services/token-state';
import { FORCED_RENEWAL_INTERVAL_MS, type RenewalMode, sameToken, TokenRenewer } from '../../src/services/token-renewer';
import { renewAtOf } from '../../src/token-timing';
import { brokerParts, type BrokerParts, count, ENV } from '../support/broker-fixture';
import { useFakeArcgis } from '../support/use-fake-arcgis';

/**
 * One renewal across instances (SPEC "Tokens: ..."): the named lock, the re-read under it, the fetch and
 * save, and the failure recorded with its pause. The embedded store's lock stands in for GET_LOCK.
 */

const TTL_MS = 5000;
const HOUR_MS = 3600_000;
const fake = useFakeArcgis();
let p: BrokerParts;
let renewer: TokenRenewer;

function newRenewer(parts: BrokerParts, options: { lockTimeoutSeconds?: number; random?: () => number } = {}): TokenRenewer {
  return new TokenRenewer(parts.store, parts.arcgis, parts.box, parts.clock, parts.logger, parts.metrics, {
    cacheTtlMs: TTL_MS,
    lockTimeoutSeconds: options.lockTimeoutSeconds ?? 0.2,
    random: options.random ?? (() => 0),
  });
}

async function stateOf(id: number): Promise<TokenState> {
  return toTokenState(await p.row(id), undefined, p.box, p.clock.now());
}

async function renew(id: number, mode: RenewalMode, rejected?: string) {
  const result = await renewer.renew(await stateOf(id), mode, rejected);
  await renewer.settled();
  return result;
}

/** A token saved by "another instance" after this one read the row. */
async function savedElsewhere(id: number, plaintext: string, lifetimeMs = HOUR_MS, forcedAt?: number) {
  const row = await p.row(id);
  const token = p.sealed(plaintext, lifetimeMs);
  await p.store.mapTokens.saveToken(row, token, renewAtOf(token), forcedAt);
}

beforeEach(() => {
  p = brokerParts(fake);
  renewer = newRenewer(p);
});

describe('sameToken', () => {
  test('equal tokens match; another token of the same or another length does not', () => {
    expect(sameToken('abc', 'abc')).toBe(true);
    expect(sameToken('abc', 'abd')).toBe(false);
    expect(sameToken('abc', 'abcd')).toBe(false);
    expect(sameToken('', '')).toBe(true);
  });
});

describe('the re-read under the lock decides whether ArcGIS is called', () => {
  test('needed: a usable token saved meanwhile by another instance is reused with no call', async () => {
    const row = await p.create();
    const before = await stateOf(row.id);
    await savedElsewhere(row.id, 'theirs');
    const result = await renewer.renew(before, 'needed', undefined);
    expect(result).toEqual({ state: expect.objectContaining({ token: 'theirs' }) });
    expect(fake.calls).toHaveLength(0);
    expect(await count(p.metrics.refreshes, { outcome: 'reused' })).toBe(1);
  });

  test('needed: a token that expires now is fetched again, saved, and answered', async () => {
    const row = await p.create({}, p.sealed('old', 1000));
    p.clock.advance(1000);
    const result = await renew(row.id, 'needed');
    expect(fake.calls).toHaveLength(1);
    const issuedAt = p.clock.now();
    const expiresAt = issuedAt + fake.lifetimeSeconds * 1000;
    expect(result.error).toBeUndefined();
    expect(result.state).toMatchObject({
      token: expect.stringMatching(/^fake-/),
      issuedAt,
      expiresAt,
      renewAt: expiresAt - 10 * 60 * 1000,
    });
    expect(result.state.row).toMatchObject({
      refreshFailures: 0,
      lastRefreshError: null,
      forcedRenewalAt: null,
      renewAt: expiresAt - 10 * 60 * 1000,
    });
    const stored = await p.row(row.id);
    expect(stored.token).toMatchObject({ issuedAt, expiresAt });
    expect(p.box.decrypt(stored.token!.tokenEnc)).toBe(result.state.token);
    expect(stored.forcedRenewalAt).toBeNull();
    expect(await count(p.metrics.refreshes, { outcome: 'fetched' })).toBe(1);
  });

  test("ahead: nothing before the row's renewAt (another instance renewed, or the fleet pauses); a call at it", async () => {
    const row = await p.create({}, p.sealed('old', HOUR_MS));
    p.clock.advance(row.renewAt! - p.clock.now() - 1);
    expect((await renew(row.id, 'ahead')).state.token).toBe('old');
    expect(fake.calls).toHaveLength(0);
    p.clock.advance(1);
    expect((await renew(row.id, 'ahead')).state.token).toMatch(/^fake-/);
    expect(fake.calls).toHaveLength(1);
  });

  test('forced: a reported token already replaced is not renewed again', async () => {
    const row = await p.create({}, p.sealed('current', HOUR_MS));
    expect((await renew(row.id, 'forced', 'curren')).state.token).toBe('current');
    expect((await renew(row.id, 'forced', 'currenT')).state.token).toBe('current');
    expect((await renew(row.id, 'forced', undefined)).state.token).toBe('current');
    expect(fake.calls).toHaveLength(0);
  });

  test('forced: the current token is renewed and the time recorded; within 30 s of that, not again; at 30 s, again', async () => {
    const row = await p.create({}, p.sealed('current', HOUR_MS));
    const first = await renew(row.id, 'forced', 'current');
    expect(fake.calls).toHaveLength(1);
    const forcedAt = p.clock.now();
    expect(first.state.row.forcedRenewalAt).toBe(forcedAt);
    expect((await p.row(row.id)).forcedRenewalAt).toBe(forcedAt);

    p.clock.advance(FORCED_RENEWAL_INTERVAL_MS - 1);
    expect((await renew(row.id, 'forced', first.state.token!)).state.token).toBe(first.state.token);
    expect(fake.calls).toHaveLength(1);
    p.clock.advance(1);
    const second = await renew(row.id, 'forced', first.state.token!);
    expect(second.state.token).not.toBe(first.state.token);
    expect(second.state.row.forcedRenewalAt).toBe(p.clock.now());
    expect(fake.calls).toHaveLength(2);
  });

  test('a renewal that is not forced keeps the recorded time of the last forced one', async () => {
    const row = await p.create({}, p.sealed('current', 1000));
    await savedElsewhere(row.id, 'current', 1000, p.clock.now() - 5);
    p.clock.advance(1000);
    const result = await renew(row.id, 'needed');
    expect(result.state.row.forcedRenewalAt).toBe(p.clock.now() - 1005);
    expect((await p.row(row.id)).forcedRenewalAt).toBe(p.clock.now() - 1005);
  });

  test('a row deleted meanwhile ends the renewal with NotFoundError', async () => {
    const row = await p.create();
    const state = await stateOf(row.id);
    await p.store.mapTokens.delete(environmentScope(ENV), row.id, { environment: ENV, actor: null, requestId: 't' });
    await expect(renewer.renew(state, 'needed', undefined)).rejects.toMatchObject({
      status: 404,
      message: `Map token ${row.id} was not found.`,
    });
    expect(fake.calls).toHaveLength(0);
  });
});

describe('the lock', () => {
  test("ahead: while another instance holds this token's lock, step aside for a second and re-read after it", async () => {
    const row = await p.create({}, p.sealed('old', HOUR_MS));
    const other = await p.create({}, p.sealed('other', HOUR_MS));
    p.clock.advance(row.renewAt! - p.clock.now());
    const state = await stateOf(row.id);
    const older = { ...state, checkedAt: p.clock.now() - 10 * TTL_MS };
    renewer = newRenewer(p, { lockTimeoutSeconds: 2 });
    let aside: TokenState[] = [];
    let renewedOther: string | null = null;
    let waited = 0;
    await p.store.withLock(`mtp:token:${row.id}`, 0, async () => {
      const started = Date.now();
      aside = [(await renewer.renew(state, 'ahead', undefined)).state, (await renewer.renew(older, 'ahead', undefined)).state];
      waited = Date.now() - started;
      renewedOther = (await renewer.renew(await stateOf(other.id), 'ahead', undefined)).state.token;
    });
    const now = p.clock.now();
    expect(aside[0]).toMatchObject({ token: 'old', renewAt: now + 1000, checkedAt: now + 1000 - TTL_MS });
    expect(aside[1]).toMatchObject({ renewAt: now + 1000, checkedAt: now - 10 * TTL_MS });
    expect(renewedOther).toMatch(/^fake-/);
    expect(fake.calls).toHaveLength(1);
    // no wait for the lock at all
    expect(waited).toBeLessThan(1000);
  });

  test('needed: waits for the holder and reuses what it saved', async () => {
    const row = await p.create();
    const state = await stateOf(row.id);
    let waited: Promise<unknown> | undefined;
    await p.store.withLock(`mtp:token:${row.id}`, 0, async () => {
      waited = renewer.renew(state, 'needed', undefined);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await savedElsewhere(row.id, 'theirs');
    });
    await expect(waited).resolves.toEqual({ state: expect.objectContaining({ token: 'theirs' }) });
    expect(fake.calls).toHaveLength(0);
  });

  test('needed: a holder that does not let go within the lock timeout is not waited for', async () => {
    const row = await p.create();
    const state = await stateOf(row.id);
    let release!: () => void;
    const held = p.store.withLock(`mtp:token:${row.id}`, 0, () => new Promise<void>((resolve) => (release = resolve)));
    const result = await renewer.renew(state, 'needed', undefined);
    release();
    await held;
    expect(result.state.token).toMatch(/^fake-/);
    expect(fake.calls).toHaveLength(1);
  });

  test('with the store away the token is renewed from the row this process holds, and kept in the process', async () => {
    const row = await p.create({}, p.sealed('old', 1000));
    const state = await stateOf(row.id);
    p.clock.advance(1000);
    p.store.down = true;
    const result = await renewer.renew(state, 'forced', 'old');
    expect(result.error).toBeUndefined();
    expect(result.state).toMatchObject({ token: expect.stringMatching(/^fake-/) });
    expect(result.state.row.forcedRenewalAt).toBe(p.clock.now());
    expect(await count(p.metrics.storeErrors)).toBe(2); // the lock, then the save
    expect(
      p.logs.some(
        (line) => line.msg === 'token renewed while the database is unavailable; kept in this process' && line.mapTokenID === row.id,
      ),
    ).toBe(true);
  });

  test('ahead with the store away also renews (not forced: no forced time recorded)', async () => {
    const row = await p.create({}, p.sealed('old', HOUR_MS));
    const state = await stateOf(row.id);
    p.store.down = true;
    const result = await renewer.renew(state, 'ahead', undefined);
    expect(result.state.token).toMatch(/^fake-/);
    expect(result.state.row.forcedRenewalAt).toBeNull();
  });
});

describe('a failed renewal', () => {
  test("is recorded on the row with its kind, ArcGIS's message, the count and the pause; stale-if-error while unexpired", async () => {
    const row = await p.create({}, p.sealed('old', HOUR_MS));
    fake.mode = 'reject';
    p.clock.advance(row.renewAt! - p.clock.now());
    const now = p.clock.now();
    const first = await renew(row.id, 'ahead');
    expect(first.error).toBeInstanceOf(UpstreamRejectedError);
    expect(first.state).toMatchObject({
      token: 'old',
      renewAt: now + 1000,
      lastRefreshError: { at: now, kind: 'rejected', message: 'Invalid client_secret' },
    });
    expect(await p.row(row.id)).toMatchObject({
      refreshFailures: 1,
      renewAt: now + 1000,
      lastRefreshError: { at: now, kind: 'rejected', message: 'Invalid client_secret' },
    });
    expect(await count(p.metrics.staleFallbacks)).toBe(1);
    expect(await count(p.metrics.refreshes, { outcome: 'failed' })).toBe(1);
    expect(p.logs.find((line) => line.mapTokenID === row.id)).toMatchObject({
      level: 'warn',
      msg: 'token renewal failed; serving the unexpired token (stale-if-error)',
      kind: 'rejected',
      reason: 'Invalid client_secret',
      failures: 1,
      retryInMs: 1000,
      environment: ENV,
    });

    p.clock.advance(1000);
    const second = await renew(row.id, 'ahead');
    expect(second.state.row.refreshFailures).toBe(2);
    expect(await p.row(row.id)).toMatchObject({ refreshFailures: 2, renewAt: p.clock.now() + 2000 });
  });

  test('with no unexpired token it is logged as an error and not counted as stale', async () => {
    const row = await p.create();
    fake.mode = 'reject';
    const result = await renew(row.id, 'needed');
    expect(result.state.token).toBeNull();
    expect(await count(p.metrics.staleFallbacks)).toBe(0);
    expect(p.logs.find((line) => line.mapTokenID === row.id)).toMatchObject({
      level: 'error',
      msg: 'token renewal failed and no unexpired token is left',
    });
  });

  test('a failed forced renewal keeps the reported token usable for every other read (a report only adds a renewal)', async () => {
    const row = await p.create({}, p.sealed('current', HOUR_MS));
    fake.mode = 'reject';
    const result = await renew(row.id, 'forced', 'current');
    expect(result.error).toBeDefined();
    expect(result.state.token).toBe('current');
    expect(usable(result.state, p.clock.now())).toBe(true);
  });

  test('a timeout is recorded as kind timeout', async () => {
    p = brokerParts(fake, { timeoutMs: 100 });
    renewer = newRenewer(p);
    const row = await p.create();
    fake.mode = 'hang';
    const result = await renew(row.id, 'needed');
    expect(result.error).toMatchObject({ status: 504 });
    expect((await p.row(row.id)).lastRefreshError).toMatchObject({ kind: 'timeout', message: 'ArcGIS did not answer within 100 ms' });
  });

  test("an ArcGIS server error is recorded as kind error with the service's message", async () => {
    const row = await p.create();
    fake.mode = 'error-200-500';
    const result = await renew(row.id, 'needed');
    expect((await p.row(row.id)).lastRefreshError).toEqual({ at: p.clock.now(), kind: 'error', message: result.error!.message });
  });

  test("an authURL the allowlist no longer admits is an upstream error, not the reader's", async () => {
    p = brokerParts(fake, { allowlist: 'https://www.arcgis.com' });
    renewer = newRenewer(p);
    const row = await p.create();
    const result = await renew(row.id, 'needed');
    expect(result.error).toBeInstanceOf(UpstreamError);
    expect(result.error).toBeInstanceOf(AuthUrlNotAllowedError);
    expect(result.error!.status).toBe(502);
    expect(result.error!.message).toBe(`authURL ${fake.tokenUrl} is not in AUTH_URL_ALLOWLIST (https://www.arcgis.com)`);
    expect(fake.calls).toHaveLength(0);
  });

  test('an unexpected failure is recorded without its text and answered as a generic upstream error', async () => {
    const row = await p.create({ authSecretEnc: null });
    const result = await renew(row.id, 'needed');
    expect(result.error).toBeInstanceOf(UpstreamError);
    expect(result.error!.message).toBe('Could not get a token from ArcGIS.');
    expect((await p.row(row.id)).lastRefreshError).toMatchObject({ kind: 'error', message: 'unexpected error' });
  });

  test('a save that fails for another reason than the store being away is a failed renewal', async () => {
    const row = await p.create();
    p.store.failSaves = new Error('disk full');
    const result = await renew(row.id, 'needed');
    expect(result.error).toMatchObject({ message: 'Could not get a token from ArcGIS.' });
    expect(await count(p.metrics.storeErrors)).toBe(0);
  });

  test('the failure is recorded before the renewal settles (under the lock); one that cannot be recorded is counted as a store error', async () => {
    const row = await p.create({}, p.sealed('old', HOUR_MS));
    p.clock.advance(row.renewAt! - p.clock.now());
    const state = await stateOf(row.id);
    fake.mode = 'reject';
    const recording = p.store.mapTokens.recordRefreshFailure;
    let finish!: () => void;
    let started!: () => void;
    const recordStarted = new Promise<void>((resolve) => (started = resolve));
    p.store.mapTokens.recordRefreshFailure = async () => {
      started();
      await new Promise<void>((resolve) => (finish = resolve));
      throw new StoreUnavailableError();
    };
    let settled = false;
    const renewing = renewer.renew(state, 'ahead', undefined).then((result) => {
      settled = true;
      return result;
    });
    await recordStarted;
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    // the lock is still held while the failure is written: another renewal waits for it
    expect(await p.store.withLock(`mtp:token:${row.id}`, 0, async (acquired) => acquired)).toBe(false);
    finish();
    expect((await renewing).error).toBeDefined();
    expect(await count(p.metrics.storeErrors)).toBe(1);
    p.store.mapTokens.recordRefreshFailure = recording;
  });
});

describe('the fleet pause and keys this instance lacks', () => {
  test('needed: a pause another instance recorded after this one read the row is honoured under the lock, with no call', async () => {
    const row = await p.create();
    const state = await stateOf(row.id);
    const current = await p.row(row.id);
    await p.store.mapTokens.recordRefreshFailure(current, { at: p.clock.now(), kind: 'timeout', message: 'm' }, 1, p.clock.now() + 1500);
    const recorded = await p.row(row.id);
    const result = await renewer.renew(state, 'needed', undefined);
    expect(result.error).toMatchObject({ constructor: RenewalPausedError, status: 504, retryAfterSeconds: 2 });
    expect(fake.calls).toHaveLength(0);
    // the pause is not a new failure: nothing more is recorded
    expect(await p.row(row.id)).toMatchObject({ refreshFailures: 1, version: recorded.version });
    expect(await count(p.metrics.refreshes, { outcome: 'failed' })).toBe(0);
    // at its end, a call
    p.clock.advance(1500);
    expect((await renew(row.id, 'needed')).state.token).toMatch(/^fake-/);
    expect(fake.calls).toHaveLength(1);
  });

  test('a secret sealed with a key this instance lacks ends the renewal with EncryptionKeyMissingError: no call, nothing recorded', async () => {
    const row = await p.create();
    const lacking = new TokenRenewer(p.store, p.arcgis, new SecretBox([Buffer.alloc(32, 9)]), p.clock, p.logger, p.metrics, {
      cacheTtlMs: TTL_MS,
      lockTimeoutSeconds: 0.2,
      random: () => 0,
    });
    const state = await stateOf(row.id);
    await expect(lacking.renew(state, 'needed', undefined)).rejects.toMatchObject({
      constructor: EncryptionKeyMissingError,
      keyId: p.box.keyIds[0],
    });
    // also from the row this process holds while the store is away
    p.store.down = true;
    await expect(lacking.renew(state, 'ahead', undefined)).rejects.toBeInstanceOf(EncryptionKeyMissingError);
    p.store.down = false;
    await lacking.settled();
    expect(fake.calls).toHaveLength(0);
    expect(await p.row(row.id)).toMatchObject({ refreshFailures: 0, lastRefreshError: null, version: row.version });
    expect(await count(p.metrics.refreshes, { outcome: 'failed' })).toBe(0);
  });
});

describe('a failure recorded without the lock', () => {
  /** recordRefreshFailure held until `finish(error?)`; `calls` counts the records started. */
  function holdRecords() {
    const held = { calls: 0, finish: (_error?: Error) => {} };
    p.store.mapTokens.recordRefreshFailure = () => {
      held.calls += 1;
      return new Promise<boolean>((resolve, reject) => {
        held.finish = (error) => (error ? reject(error) : resolve(true));
      });
    };
    return held;
  }

  test('with the store away the renewal answers at once; settled() waits for the record, whose failure counts as a store error', async () => {
    const row = await p.create({}, p.sealed('old', HOUR_MS));
    const state = await stateOf(row.id);
    fake.mode = 'reject';
    p.store.down = true;
    const held = holdRecords();
    const result = await renewer.renew(state, 'ahead', undefined);
    expect(result.error).toBeInstanceOf(UpstreamRejectedError);
    expect(result.state.token).toBe('old');
    expect(held.calls).toBe(1);
    expect(await count(p.metrics.storeErrors)).toBe(1); // the lock
    let settled = false;
    const settling = renewer.settled().then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    held.finish(new StoreUnavailableError());
    await settling;
    expect(await count(p.metrics.storeErrors)).toBe(2); // and the record
  });

  test('a renewal that failed for a reason the lock did not see (a save refused) answers without waiting for its record', async () => {
    const row = await p.create();
    p.store.failSaves = new Error('disk full');
    const held = holdRecords();
    const result = await renewer.renew(await stateOf(row.id), 'needed', undefined);
    expect(result.error).toMatchObject({ message: 'Could not get a token from ArcGIS.' });
    expect(held.calls).toBe(1);
    held.finish();
    await renewer.settled();
    expect(await count(p.metrics.storeErrors)).toBe(0);
  });
});

test('a failed forced renewal records its time (the 30 s window counts it); a failed renewal ahead does not', async () => {
  const forced = await p.create({}, p.sealed('current', HOUR_MS));
  const ahead = await p.create({}, p.sealed('other', HOUR_MS));
  fake.mode = 'reject';
  const now = p.clock.now();
  expect((await renew(forced.id, 'forced', 'current')).state.row.forcedRenewalAt).toBe(now);
  expect((await p.row(forced.id)).forcedRenewalAt).toBe(now);
  p.clock.advance(ahead.renewAt! - p.clock.now());
  expect((await renew(ahead.id, 'ahead')).state.row.forcedRenewalAt).toBeNull();
  expect((await p.row(ahead.id)).forcedRenewalAt).toBeNull();
});
