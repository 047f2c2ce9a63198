import { SecretBox } from '../../src/crypto/secret-box';
import { environmentScope } from '../../src/domain';
import {
  EncryptionKeyMissingError,
  NotFoundError,
  RenewalPausedError,
  StoreUnavailableError,
  UpstreamError,
  UpstreamRejectedError,
} from '../../src/errors';
import { TokenBroker, type TokenBrokerOptions } from '../../src/services/token-broker';
import { renewAtOf } from '../../src/token-timing';
import { brokerParts, type BrokerParts, count, ENV } from '../support/broker-fixture';
import { useFakeArcgis } from '../support/use-fake-arcgis';

/**
 * The token broker's rules (SPEC "Tokens: fresh on every read, fetched once per lifetime, and no read
 * waits for ArcGIS"), each pinned on both sides of its boundary: the embedded store, the local ArcGIS
 * stand-in and a fake clock. Two brokers on one store are two instances.
 */

const TTL_MS = 5000;
const HOUR_MS = 3600_000;
const fake = useFakeArcgis();
let p: BrokerParts;
let broker: TokenBroker;

function newBroker(options: Partial<TokenBrokerOptions> = {}): TokenBroker {
  return new TokenBroker(p.store, p.arcgis, p.box, p.clock, p.logger, p.metrics, {
    cacheTtlMs: TTL_MS,
    cacheMaxEntries: 100,
    upstreamTimeoutMs: 1000,
    random: () => 0,
    ...options,
  });
}

/** A stored agol item with a token of one hour: margin 5 minutes, refresh point 10 minutes before expiry. */
async function withToken(plaintext = 'stored-1', lifetimeMs = HOUR_MS) {
  const row = await p.create({}, p.sealed(plaintext, lifetimeMs));
  return { row, expiresAt: p.clock.now() + lifetimeMs, renewAt: row.renewAt! };
}

beforeEach(() => {
  p = brokerParts(fake);
  broker = newBroker();
});

afterEach(async () => {
  await broker.idle();
});

describe('who may read a cached token', () => {
  test('a token cached for one environment is not served to a read of the same id in another', async () => {
    const { row } = await withToken();
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).resolves.toMatchObject({ token: 'stored-1' });

    await expect(broker.fresh({ environment: 'other', organizationId: null }, row.id)).rejects.toBeInstanceOf(NotFoundError);
    // reads of the two environments at once do not share one store read either
    const [mine, theirs] = await Promise.allSettled([
      broker.fresh({ environment: ENV, organizationId: null }, row.id),
      broker.fresh({ environment: 'other', organizationId: null }, row.id),
    ]);
    expect(mine).toMatchObject({ status: 'fulfilled', value: { token: 'stored-1' } });
    expect(theirs).toMatchObject({ status: 'rejected', reason: expect.any(NotFoundError) });
  });

  test("the other environment's 404 leaves this environment's cached token in place", async () => {
    const { row } = await withToken();
    await broker.fresh({ environment: ENV, organizationId: null }, row.id);
    await expect(broker.fresh({ environment: 'other', organizationId: null }, row.id)).rejects.toThrow(
      `Map token ${row.id} was not found.`,
    );

    p.store.down = true;
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).resolves.toMatchObject({ token: 'stored-1' });
    expect(p.store.gets).toBe(2);
  });

  test('a cached token is served to its own organization and to callers of every organization, never to another', async () => {
    const { row } = await withToken();
    await expect(broker.fresh({ environment: ENV, organizationId: 1 }, row.id)).resolves.toMatchObject({ token: 'stored-1' });
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).resolves.toMatchObject({ token: 'stored-1' });
    await expect(broker.fresh({ environment: ENV, organizationId: 2 }, row.id)).rejects.toThrow(`Map token ${row.id} was not found.`);
  });

  test('a token fetched while the reader waits is not handed to another organization', async () => {
    const row = await p.create();
    await expect(broker.fresh({ environment: ENV, organizationId: 2 }, row.id)).rejects.toBeInstanceOf(NotFoundError);
    expect(await count(p.metrics.readWaits)).toBe(0);
    await expect(broker.freshRow(await p.row(row.id), { environment: ENV, organizationId: 2 })).rejects.toBeInstanceOf(NotFoundError);
    await expect(broker.freshRow(await p.row(row.id), { environment: ENV, organizationId: 1 })).resolves.toMatchObject({
      token: expect.stringMatching(/^fake-/),
    });
  });
});

describe('the cache in front of the store', () => {
  test('a cached entry is served until CACHE_TTL old and read again at CACHE_TTL', async () => {
    const { row } = await withToken();
    await broker.fresh({ environment: ENV, organizationId: null }, row.id);
    expect(p.store.gets).toBe(1);
    await p.store.mapTokens.delete(environmentScope(ENV), row.id, { environment: ENV, actor: null, requestId: 't' });

    p.clock.advance(TTL_MS / 2 - 1);
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).resolves.toMatchObject({ token: 'stored-1' });
    await broker.idle();
    expect(p.store.gets).toBe(1);
    expect(await count(p.metrics.tokenCache, { result: 'hit' })).toBe(1);

    p.clock.advance(TTL_MS / 2);
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).resolves.toMatchObject({ token: 'stored-1' });
    p.clock.advance(1);
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).rejects.toBeInstanceOf(NotFoundError);
    expect(await count(p.metrics.tokenCache, { result: 'miss' })).toBe(2);
  });

  test('past half of CACHE_TTL a read is answered from the cache and re-reads the row in the background', async () => {
    const { row } = await withToken();
    await broker.fresh({ environment: ENV, organizationId: null }, row.id);
    await p.store.mapTokens.delete(environmentScope(ENV), row.id, { environment: ENV, actor: null, requestId: 't' });

    p.clock.advance(TTL_MS / 2);
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).resolves.toMatchObject({ token: 'stored-1' });
    await broker.idle();
    expect(p.store.gets).toBe(2);
    // the re-read found the row gone: the token is not served again, not even with the store away
    p.store.down = true;
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  test("a deleted row's token is not served after the re-read, even when the store then goes away", async () => {
    const { row } = await withToken();
    await broker.fresh({ environment: ENV, organizationId: null }, row.id);
    await p.store.mapTokens.delete(environmentScope(ENV), row.id, { environment: ENV, actor: null, requestId: 't' });
    p.clock.advance(TTL_MS);
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).rejects.toBeInstanceOf(NotFoundError);

    p.clock.advance(TTL_MS);
    p.store.down = true;
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  test('reads of one map token at once share one store read', async () => {
    const { row } = await withToken();
    await Promise.all([
      broker.fresh({ environment: ENV, organizationId: null }, row.id),
      broker.fresh({ environment: ENV, organizationId: null }, row.id),
      broker.fresh({ environment: ENV, organizationId: null }, row.id),
    ]);
    expect(p.store.gets).toBe(1);
    p.clock.advance(TTL_MS);
    await Promise.all([
      broker.fresh({ environment: ENV, organizationId: null }, row.id),
      broker.fresh({ environment: ENV, organizationId: null }, row.id),
    ]);
    expect(p.store.gets).toBe(2);
  });

  test('with the store away an unexpired cached token is served, re-checked only after another CACHE_TTL', async () => {
    const { row, expiresAt } = await withToken('stored-1', 20 * TTL_MS);
    await broker.fresh({ environment: ENV, organizationId: null }, row.id);
    p.store.down = true;
    p.clock.advance(TTL_MS);
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).resolves.toMatchObject({ token: 'stored-1' });
    expect(await count(p.metrics.storeErrors)).toBe(1);
    expect(await count(p.metrics.staleFallbacks)).toBe(1);
    p.clock.advance(TTL_MS / 2 - 1);
    await broker.fresh({ environment: ENV, organizationId: null }, row.id);
    await broker.idle();
    expect(await count(p.metrics.storeErrors)).toBe(1);

    p.clock.advance(expiresAt - p.clock.now());
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  test("with the store away and nothing cached the read fails with the store's error", async () => {
    const { row } = await withToken();
    p.store.down = true;
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await count(p.metrics.staleFallbacks)).toBe(0);
  });

  test('view() keeps the cached state only for the same version and the same sealed token', async () => {
    const { row } = await withToken();
    const cached = broker.prime(row);
    expect(broker.view(row)).toBe(cached);

    const [updated] = await p.store.mapTokens.writeBatch(
      [{ kind: 'update', id: row.id, expectedVersion: row.version, fields: { ...row, organizationId: 7 }, token: undefined }],
      { environment: ENV, actor: null, requestId: 't' },
    );
    expect(broker.view(updated)).toMatchObject({ organizationId: 7, token: 'stored-1', version: 2 });

    broker.prime(updated);
    const stored = p.sealed('stored-2', HOUR_MS);
    await p.store.mapTokens.saveToken(updated, stored, renewAtOf(stored));
    expect(broker.view(await p.row(row.id))).toMatchObject({ token: 'stored-2', version: 2 });
  });

  test('prime() puts a written row in the cache at once, with the plaintext when given; evict() drops it', async () => {
    const { row } = await withToken();
    await broker.fresh({ environment: ENV, organizationId: null }, row.id);
    const stored = p.sealed('stored-2', HOUR_MS);
    await p.store.mapTokens.saveToken(row, stored, renewAtOf(stored));
    expect(broker.prime(await p.row(row.id), 'given')).toMatchObject({ token: 'given' });
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).resolves.toMatchObject({ token: 'given' });
    expect(p.store.gets).toBe(2);
    broker.evict(row.id);
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).resolves.toMatchObject({ token: 'stored-2' });
    expect(p.store.gets).toBe(3);
  });
});

describe('renewing ahead of expiry', () => {
  test('a read just before the refresh point starts nothing; a read at it answers the old token and renews in the background', async () => {
    const { row, renewAt } = await withToken();
    p.clock.advance(renewAt - p.clock.now() - 1);
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).resolves.toMatchObject({ token: 'stored-1' });
    await broker.idle();
    expect(fake.calls).toHaveLength(0);

    p.clock.advance(1);
    const [first, second] = await Promise.all([
      broker.fresh({ environment: ENV, organizationId: null }, row.id),
      broker.fresh({ environment: ENV, organizationId: null }, row.id),
    ]);
    expect(first.token).toBe('stored-1');
    expect(second.token).toBe('stored-1');
    await broker.idle();
    expect(fake.calls).toHaveLength(1);
    // the second read found the renewal in flight and left it alone
    expect(await count(p.metrics.refreshes, { outcome: 'merged' })).toBe(0);
    expect(await count(p.metrics.readWaits)).toBe(0);
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).resolves.toMatchObject({
      token: expect.stringMatching(/^fake-/),
    });
  });

  test('renewAhead() renews from the refresh point on, not a millisecond before, and never a static token', async () => {
    const { row, renewAt } = await withToken();
    const fixed = await p.create({ authType: 'static', authKey: null, authSecretEnc: null, authUrl: null }, p.sealed('static-1', HOUR_MS));
    p.clock.advance(renewAt - p.clock.now() - 1);
    await broker.renewAhead(ENV, row.id);
    expect(fake.calls).toHaveLength(0);
    p.clock.advance(1);
    await broker.renewAhead(ENV, row.id);
    await broker.renewAhead(ENV, fixed.id);
    expect(fake.calls).toHaveLength(1);
    // nothing was even tried (under the lock) before the refresh point, or for the static token
    expect(await count(p.metrics.refreshes, { outcome: 'reused' })).toBe(0);
    await expect(broker.fresh({ environment: ENV, organizationId: null }, fixed.id)).resolves.toMatchObject({ token: 'static-1' });
  });

  test('dueInCache() lists cached tokens at or past their renewAt, up to the limit', async () => {
    const a = await withToken('a');
    const b = await withToken('b', 2 * HOUR_MS);
    const fixed = await p.create({ authType: 'static', authKey: null, authSecretEnc: null, authUrl: null }, p.sealed('s', HOUR_MS));
    for (const id of [a.row.id, b.row.id, fixed.id]) await broker.fresh({ environment: ENV, organizationId: null }, id);

    expect(broker.dueInCache(a.renewAt - 1, 10)).toEqual([]);
    expect(broker.dueInCache(a.renewAt, 10)).toEqual([{ id: a.row.id, environment: ENV }]);
    expect(broker.dueInCache(b.renewAt, 10).sort((x, y) => x.id - y.id)).toEqual([
      { id: a.row.id, environment: ENV },
      { id: b.row.id, environment: ENV },
    ]);
    expect(broker.dueInCache(b.renewAt, 1)).toHaveLength(1);
    expect(broker.dueInCache(b.renewAt, 0)).toHaveLength(0);
  });

  test('a renewal result does not replace a newer admin write cached meanwhile', async () => {
    const { row, renewAt } = await withToken();
    p.clock.advance(renewAt - p.clock.now());
    const release = fake.hold();
    await broker.fresh({ environment: ENV, organizationId: null }, row.id);
    await fake.waitForCalls(1);
    const [updated] = await p.store.mapTokens.writeBatch(
      [{ kind: 'update', id: row.id, expectedVersion: row.version, fields: { ...row }, token: p.sealed('written', HOUR_MS) }],
      { environment: ENV, actor: null, requestId: 't' },
    );
    broker.prime(updated, 'written');
    release();
    await broker.idle();
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).resolves.toMatchObject({ token: 'written', version: 2 });
  });
});

describe('waiting for ArcGIS', () => {
  test('reads with no token wait, together, for one call, counted as waits and merged', async () => {
    const row = await p.create();
    const states = await Promise.all([
      broker.fresh({ environment: ENV, organizationId: null }, row.id),
      broker.fresh({ environment: ENV, organizationId: null }, row.id),
    ]);
    expect(fake.calls).toHaveLength(1);
    expect(states[0].token).toBe(states[1].token);
    expect(await count(p.metrics.readWaits)).toBe(2);
    expect(await count(p.metrics.refreshes, { outcome: 'merged' })).toBe(1);
    expect(await count(p.metrics.refreshes, { outcome: 'fetched' })).toBe(1);
  });

  test('an expired token is not served: the read waits, and the failure goes up when ArcGIS refuses', async () => {
    const { row, expiresAt } = await withToken();
    p.clock.advance(expiresAt - p.clock.now() - 1);
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).resolves.toMatchObject({ token: 'stored-1' });
    await broker.idle();
    expect(fake.calls).toHaveLength(1); // renewed ahead in the background
    fake.mode = 'reject';
    p.clock.advance(fake.lifetimeSeconds * 1000);
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).rejects.toBeInstanceOf(UpstreamRejectedError);
  });

  test('during the stale-if-error pause the unexpired token is served, and once it expires it is not', async () => {
    const { row, renewAt, expiresAt } = await withToken();
    fake.mode = 'http-500';
    p.clock.advance(renewAt - p.clock.now());
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).resolves.toMatchObject({ token: 'stored-1' });
    await broker.idle();
    const calls = fake.calls.length;
    expect(calls).toBeGreaterThan(0);
    // the pause after the first failure (random 0: 1 s): no new try, the old token still served
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).resolves.toMatchObject({
      token: 'stored-1',
      lastRefreshError: expect.objectContaining({ kind: 'error' }),
    });
    await broker.idle();
    expect(fake.calls).toHaveLength(calls);

    p.clock.advance(expiresAt - p.clock.now());
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).rejects.toMatchObject({ status: 502 });
    expect(fake.calls.length).toBeGreaterThan(calls);
  });

  test('a failed renewal ahead still answers its caller with the unexpired token', async () => {
    const { row, renewAt } = await withToken();
    fake.mode = 'reject';
    p.clock.advance(renewAt - p.clock.now());
    await expect(broker.renewAhead(ENV, row.id)).resolves.toBeUndefined();
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).resolves.toMatchObject({ token: 'stored-1' });
  });

  test('a renewal that finds the row deleted drops the cached token', async () => {
    const { row, renewAt } = await withToken();
    p.clock.advance(renewAt - p.clock.now() - 1);
    await broker.fresh({ environment: ENV, organizationId: null }, row.id);
    await p.store.mapTokens.delete(environmentScope(ENV), row.id, { environment: ENV, actor: null, requestId: 't' });
    p.clock.advance(1);
    await expect(broker.renewAhead(ENV, row.id)).rejects.toBeInstanceOf(NotFoundError);
    p.store.down = true;
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  test('renewals of two map tokens at once are not merged', async () => {
    const a = await p.create();
    const b = await p.create();
    const [first, second] = await Promise.all([
      broker.fresh({ environment: ENV, organizationId: null }, a.id),
      broker.fresh({ environment: ENV, organizationId: null }, b.id),
    ]);
    expect(first).toMatchObject({ id: a.id });
    expect(second).toMatchObject({ id: b.id });
    expect(first.token).not.toBe(second.token);
    expect(fake.calls).toHaveLength(2);
  });

  test('a read with no token waits for another instance holding the lock up to 2.5 upstream timeouts and a second, then goes alone', async () => {
    const row = await p.create();
    let release!: () => void;
    const held = p.store.withLock(`mtp:token:${row.id}`, 0, () => new Promise<void>((resolve) => (release = resolve)));
    const started = Date.now();
    const timer = setTimeout(() => release(), 4600);
    const state = await broker.fresh({ environment: ENV, organizationId: null }, row.id);
    const waited = Date.now() - started;
    const stillHeld = fake.calls.length === 1;
    clearTimeout(timer);
    release();
    await held;
    expect(state.token).toMatch(/^fake-/);
    expect(stillHeld).toBe(true);
    // ceil(1000 ms x 2.5 / 1000) + 1 = 4 s
    expect(waited).toBeGreaterThanOrEqual(3900);
    expect(waited).toBeLessThan(4600);
  });

  test('without an injected random source a failure still gets its jittered pause', async () => {
    broker = newBroker({ random: undefined });
    const row = await p.create();
    fake.mode = 'reject';
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).rejects.toBeInstanceOf(UpstreamRejectedError);
    await broker.idle();
    const { renewAt } = await p.row(row.id);
    expect(renewAt! - p.clock.now()).toBeGreaterThanOrEqual(1000);
    expect(renewAt! - p.clock.now()).toBeLessThan(2000);
  });
});

describe('a client reports its token rejected', () => {
  test('the current token reported: one forced renewal, then none for 30 s, and one again at 30 s', async () => {
    const { row } = await withToken();
    const renewed = await broker.reportRejected({ environment: ENV, organizationId: null }, row.id, 'stored-1');
    expect(renewed.token).toMatch(/^fake-/);
    expect(fake.calls).toHaveLength(1);

    p.clock.advance(30_000 - 1);
    // answered without the token's lock, which another instance holds
    let answered: string | null = null;
    await p.store.withLock(`mtp:token:${row.id}`, 0, async () => {
      answered = (await broker.reportRejected({ environment: ENV, organizationId: null }, row.id, renewed.token!)).token;
    });
    expect(answered).toBe(renewed.token);
    expect(fake.calls).toHaveLength(1);
    expect(await count(p.metrics.refreshes, { outcome: 'reused' })).toBe(0);

    p.clock.advance(1);
    const again = await broker.reportRejected({ environment: ENV, organizationId: null }, row.id, renewed.token!);
    expect(again.token).not.toBe(renewed.token);
    expect(fake.calls).toHaveLength(2);
  });

  test('a token other than the current one is answered with the current one and no call', async () => {
    const { row } = await withToken();
    await expect(broker.reportRejected({ environment: ENV, organizationId: null }, row.id, 'stored-0')).resolves.toMatchObject({
      token: 'stored-1',
    });
    await expect(broker.reportRejected({ environment: ENV, organizationId: null }, row.id, 'stored-10')).resolves.toMatchObject({
      token: 'stored-1',
    });
    expect(fake.calls).toHaveLength(0);
  });

  test('a static token reported is answered as it is', async () => {
    const fixed = await p.create({ authType: 'static', authKey: null, authSecretEnc: null, authUrl: null }, p.sealed('static-1', HOUR_MS));
    await expect(broker.reportRejected({ environment: ENV, organizationId: null }, fixed.id, 'static-1')).resolves.toMatchObject({
      token: 'static-1',
    });
    expect(fake.calls).toHaveLength(0);
  });

  test("a forced renewal answers only the reporter's organization", async () => {
    const { row } = await withToken();
    await expect(broker.reportRejected({ environment: ENV, organizationId: 2 }, row.id, 'stored-1')).rejects.toBeInstanceOf(NotFoundError);
    await expect(broker.reportRejected({ environment: ENV, organizationId: 1 }, row.id, 'stored-1')).resolves.toMatchObject({
      token: expect.stringMatching(/^fake-/),
    });
  });

  test('when the forced renewal fails, the reporter gets the error and every other read keeps the unexpired token', async () => {
    const { row } = await withToken();
    fake.mode = 'reject';
    await expect(broker.reportRejected({ environment: ENV, organizationId: null }, row.id, 'stored-1')).rejects.toBeInstanceOf(
      UpstreamRejectedError,
    );
    expect(fake.calls).toHaveLength(1);
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).resolves.toMatchObject({ token: 'stored-1' });
    expect(fake.calls).toHaveLength(1);
    expect(await count(p.metrics.readWaits)).toBe(0);
  });

  test('a read with no unexpired token inside the retry pause answers at once with Retry-After and calls nothing', async () => {
    const row = await p.create();
    fake.mode = 'http-500';
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).rejects.toBeInstanceOf(UpstreamError);
    const calls = fake.calls.length;
    const failed = await p.row(row.id);
    expect(failed.refreshFailures).toBe(1);
    // random() is 0 here: the first pause is 1 s
    expect(failed.renewAt! - p.clock.now()).toBe(1000);
    const paused = await broker.fresh({ environment: ENV, organizationId: null }, row.id).catch((error: unknown) => error);
    expect(paused).toBeInstanceOf(RenewalPausedError);
    expect(paused).toMatchObject({ status: 502, retryAfterSeconds: 1 });
    p.clock.advance(999);
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).rejects.toMatchObject({ retryAfterSeconds: 1 });
    expect(fake.calls).toHaveLength(calls);
    // only the first read waited: those inside the pause did not even take the lock
    expect(await count(p.metrics.readWaits)).toBe(1);
    expect(await count(p.metrics.refreshes, { outcome: 'reused' })).toBe(0);
    // the pause over, the next read tries again
    p.clock.advance(1);
    fake.mode = 'ok';
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).resolves.toMatchObject({
      token: expect.stringMatching(/^fake-/),
    });
  });

  test('inside the pause after a renewal that timed out, the read answers 504; a report of a usable token inside the pause calls nothing', async () => {
    p = brokerParts(fake, { timeoutMs: 100 });
    broker = newBroker();
    const row = await p.create();
    fake.mode = 'hang';
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).rejects.toMatchObject({ status: 504 });
    const calls = fake.calls.length;
    await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).rejects.toMatchObject({
      status: 504,
      code: 'GatewayTimeout',
      retryAfterSeconds: 1,
    });
    expect(fake.calls).toHaveLength(calls);

    // a usable token whose renewal failed: a report of it inside the pause gets the pause, not a call
    fake.mode = 'ok';
    const { row: held } = await withToken('held');
    await p.store.mapTokens.recordRefreshFailure(held, { at: p.clock.now(), kind: 'error', message: 'm' }, 1, p.clock.now() + 1500);
    broker.evict(held.id);
    const before = fake.calls.length;
    await expect(broker.reportRejected({ environment: ENV, organizationId: null }, held.id, 'held')).rejects.toMatchObject({
      status: 502,
      retryAfterSeconds: 2,
    });
    await expect(broker.fresh({ environment: ENV, organizationId: null }, held.id)).resolves.toMatchObject({ token: 'held' });
    expect(fake.calls).toHaveLength(before);
  });
});

describe('a token sealed with an ENCRYPTION_KEY this instance lacks', () => {
  const ANY = { environment: ENV, organizationId: null };
  const elsewhere = new SecretBox([Buffer.alloc(32, 9)]);
  /** A broker on the same store whose only key is not the one the rows were sealed with. */
  const lacking = () =>
    new TokenBroker(p.store, p.arcgis, elsewhere, p.clock, p.logger, p.metrics, {
      cacheTtlMs: TTL_MS,
      cacheMaxEntries: 100,
      upstreamTimeoutMs: 1000,
      random: () => 0,
    });
  const missingLogs = () => p.logs.filter((line) => line.missingKeyId !== undefined);

  test('a read answers 503 naming the missing key id and calls ArcGIS for nothing, even past expiry', async () => {
    const { row } = await withToken('sealed-here', 60_000);
    const other = lacking();
    const missing = p.box.keyIds[0];
    await expect(other.fresh(ANY, row.id)).rejects.toMatchObject({ constructor: EncryptionKeyMissingError, status: 503, keyId: missing });
    await expect(other.freshRow(await p.row(row.id), ANY)).rejects.toMatchObject({ keyId: missing });
    p.clock.advance(120_000);
    await expect(other.fresh(ANY, row.id)).rejects.toMatchObject({ keyId: missing });
    await other.idle();
    expect(fake.calls).toHaveLength(0);
    expect(await count(p.metrics.readWaits)).toBe(0);
    // the instance that holds the key renews the expired token
    await expect(broker.fresh(ANY, row.id)).resolves.toMatchObject({ id: row.id, missingKeyId: null });
    expect(fake.calls).toHaveLength(1);
  });

  test('renewAhead() past the refresh point renews nothing and records nothing on the row', async () => {
    const { row, renewAt } = await withToken();
    p.clock.advance(renewAt - p.clock.now());
    await lacking().renewAhead(ENV, row.id);
    expect(fake.calls).toHaveLength(0);
    expect(await p.row(row.id)).toMatchObject({ lastRefreshError: null, version: row.version });
    expect(await count(p.metrics.refreshes)).toBe(0);
    // the same call on the instance that holds the key renews it
    await broker.renewAhead(ENV, row.id);
    expect(fake.calls).toHaveLength(1);
  });

  test('an error line names the map token, the missing key id and the held ones, once a minute per key id, never a key', async () => {
    const a = await withToken('a');
    const b = await withToken('b');
    const other = lacking();
    const missing = p.box.keyIds[0];
    await expect(other.fresh(ANY, a.row.id)).rejects.toThrow(EncryptionKeyMissingError);
    expect(missingLogs()).toEqual([
      expect.objectContaining({
        level: 'error',
        mapTokenID: a.row.id,
        environment: ENV,
        missingKeyId: missing,
        heldKeyIds: elsewhere.keyIds,
        msg: expect.stringContaining(`ENCRYPTION_KEY id ${missing}, which this instance does not hold`),
      }),
    ]);
    // another row sealed with the same key, and the first one read again, within the minute: no new line
    await expect(other.fresh(ANY, b.row.id)).rejects.toThrow(EncryptionKeyMissingError);
    p.clock.advance(59_999);
    await expect(other.fresh(ANY, a.row.id)).rejects.toThrow(EncryptionKeyMissingError);
    expect(missingLogs()).toHaveLength(1);
    p.clock.advance(1);
    other.evict(a.row.id);
    await expect(other.fresh(ANY, a.row.id)).rejects.toThrow(EncryptionKeyMissingError);
    expect(missingLogs()).toHaveLength(2);
    // a row sealed with a third key is a key id of its own: logged at once
    const third = new SecretBox([Buffer.alloc(32, 5)]);
    const c = await p.create(
      { authSecretEnc: third.encrypt('s') },
      { tokenEnc: third.encrypt('c'), issuedAt: p.clock.now(), expiresAt: p.clock.now() + HOUR_MS },
    );
    await expect(other.fresh(ANY, c.id)).rejects.toMatchObject({ keyId: third.keyIds[0] });
    expect(missingLogs().map((line) => line.missingKeyId)).toEqual([missing, missing, third.keyIds[0]]);
    // the instance that holds the key reads the row and says nothing of keys
    await expect(broker.fresh(ANY, a.row.id)).resolves.toMatchObject({ missingKeyId: null });
    expect(missingLogs()).toHaveLength(3);
    expect(p.logs.filter((line) => String(line.msg).includes('ENCRYPTION_KEY'))).toHaveLength(3);
    const text = JSON.stringify(p.logs);
    for (const key of [Buffer.alloc(32, 3), Buffer.alloc(32, 9), Buffer.alloc(32, 5)]) {
      expect(text).not.toContain(key.toString('base64'));
      expect(text).not.toContain(key.toString('hex'));
    }
  });
});
