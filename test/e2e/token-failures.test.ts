import request from 'supertest';
import { FAKE_ARCGIS_HTML_MARKER, FAKE_ARCGIS_TOKEN_PATH, type FakeArcgisMode } from '../support/fake-arcgis';
import { useFakeArcgis } from '../support/use-fake-arcgis';
import { FakeClock } from '../support/fake-clock';
import { createHarness, type Harness } from '../support/harness';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { putMapTokens, readMapToken } from '../support/map-token-requests';

/**
 * SPEC "Tokens" and "Talking to ArcGIS" when things go wrong: stale-if-error, 502/504 on reads and
 * writes, the allowlist, which updates call ArcGIS, cross-instance visibility, and secrets kept out
 * of every log line. MySQL store; each describe works in an environment of its own.
 */

const SECRET = 'sekret-failures-Wd83kP';
const OTHER_SECRET = 'sekret-failures-rotated-Jb51';
const STRICT_SECRET = 'sekret-strict-Qa7';
const UPSTREAM_TIMEOUT_MS = 300;
const CACHE_TTL_MS = 5000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISSUED_TOKEN = /fake-\d+-[0-9a-f]{16}/;

const fake = useFakeArcgis();
/** An allowlisted ArcGIS that knows exactly one app: anything else it rejects with an HTTP 200 error body. */
const strict = useFakeArcgis({ credentials: { 'strict-app': STRICT_SECRET } });
/** A live token URL that is not in AUTH_URL_ALLOWLIST. */
const outsider = useFakeArcgis();
const clock = new FakeClock();
const harnesses: Harness[] = [];
const keys = new Map<string, { admin: string; reader: string }>();
let db: TestDatabase;
let a: Harness;
let b: Harness;

function open(): Harness {
  const harness = createHarness({
    mysqlUrl: db.url,
    arcgisOrigin: fake.url,
    clock,
    env: {
      AUTH_URL_ALLOWLIST: ['https://www.arcgis.com', 'https://*.arcgis.com', fake.url, strict.url].join(','),
      UPSTREAM_TIMEOUT_MS: String(UPSTREAM_TIMEOUT_MS),
      CACHE_TTL_SECONDS: String(CACHE_TTL_MS / 1000),
    },
  });
  harnesses.push(harness);
  return harness;
}

async function keysFor(env: string): Promise<{ admin: string; reader: string }> {
  let pair = keys.get(env);
  if (!pair) {
    pair = { admin: await a.key(env), reader: await a.key(env, 'reader') };
    keys.set(env, pair);
  }
  return pair;
}

function agol(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    organization_ID: 1,
    authType: 'agol',
    authKey: 'app-failures',
    authToken: SECRET,
    authTimeout: 120,
    authURL: fake.tokenUrl,
    ...overrides,
  };
}

async function put(env: string, items: unknown[], via: Harness = a) {
  return putMapTokens(via.app, env, (await keysFor(env)).admin, items);
}

async function readToken(env: string, id: number, via: Harness = a) {
  return readMapToken(via.app, env, (await keysFor(env)).reader, id);
}

async function create(env: string, item: Record<string, unknown> = agol()): Promise<{ id: number; token: string; expiresAt: number }> {
  const res = await put(env, [item]);
  expect(res.status).toBe(200);
  const [resource] = res.body.result;
  return { id: resource.mapTokenID, token: resource.token, expiresAt: Date.parse(resource.token_Expire_Date) };
}

function moveTo(at: number): void {
  clock.advance(at - clock.now());
}

/** mtp_stale_token_fallbacks_total, checked against its deprecated old name, which must say the same. */
async function staleFallbacks(via: Harness): Promise<number> {
  const res = await request(via.app).get('/metrics');
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(res.text)?.[1] ?? 0);
  expect(read('mtp_stale_tokens_served_total')).toBe(read('mtp_stale_token_fallbacks_total'));
  return read('mtp_stale_token_fallbacks_total');
}

/** What nothing stored looks like: no row in the database and an empty list. */
async function expectNothingStored(env: string): Promise<void> {
  const rows = await db.query<{ n: number }[]>('SELECT COUNT(*) AS n FROM map_tokens WHERE environment = ?', [env]);
  expect(Number(rows[0].n)).toBe(0);
  const { admin } = await keysFor(env);
  const list = await request(a.app).get('/api/v1/admin/map-tokens').set('atr-environment-id', env).set('atr-subscription-key', admin);
  expect(list.status).toBe(200);
  expect(list.body.total).toBe(0);
}

function expectEnvelope(res: request.Response, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.body).toEqual(expect.objectContaining({ msg: expect.any(String), requestId: expect.stringMatching(UUID), code }));
  expect(res.headers['x-request-id']).toBe(res.body.requestId);
  const text = JSON.stringify(res.body);
  expect(text).not.toContain('sekret-');
  expect(text).not.toMatch(ISSUED_TOKEN);
  expect(text).not.toContain(FAKE_ARCGIS_HTML_MARKER);
}

beforeAll(async () => {
  db = await createTestDatabase();
  a = open();
  b = open();
});

afterAll(async () => {
  for (const harness of harnesses) await harness.close();
  await db?.drop();
});

describe('stale-if-error: a token inside its margin but unexpired', () => {
  test.each<FakeArcgisMode>(['http-500', 'hang', 'reset'])(
    'when ArcGIS fails with %s, a read answers 200 with the old token, counts it and logs a warning without secrets',
    async (mode) => {
      const created = await create('stale');
      moveTo(created.expiresAt - 100 * 1000);
      fake.reset();
      fake.mode = mode;
      const before = await staleFallbacks(a);
      const logsBefore = a.logs.length;

      const res = await readToken('stale', created.id);
      await a.idle();

      expect(res.status).toBe(200);
      expect(res.body.token).toBe(created.token);
      expect(res.body.expires_in).toBe(100);
      expect(fake.calls.length).toBeGreaterThanOrEqual(1);
      expect(await staleFallbacks(a)).toBe(before + 1);
      const warnings = a.logs.slice(logsBefore).filter((line) => line.level === 'warn');
      expect(warnings).toEqual([expect.objectContaining({ mapTokenID: created.id, msg: expect.stringContaining('stale-if-error') })]);
      const warning = JSON.stringify(warnings[0]);
      expect(warning).not.toContain(created.token);
      expect(warning).not.toContain(SECRET);
    },
  );
});

describe('a failed renewal: recorded for every instance, retried after a growing pause', () => {
  /** An instance whose retry pauses are exactly the middle of their range: 1.5 s, then 3 s, 6 s, ... */
  let paced: Harness;
  beforeAll(() => {
    paced = createHarness({
      mysqlUrl: db.url,
      arcgisOrigin: fake.url,
      clock,
      random: () => 0.5,
      env: { UPSTREAM_TIMEOUT_MS: String(UPSTREAM_TIMEOUT_MS) },
    });
    harnesses.push(paced);
  });

  async function readVia(via: Harness, id: number): Promise<request.Response> {
    const res = await readToken('paced', id, via);
    await via.idle();
    return res;
  }

  async function adminGet(via: Harness, path: string): Promise<request.Response> {
    const { admin } = await keysFor('paced');
    return request(via.app).get(`/api/v1/admin/map-tokens${path}`).set('atr-environment-id', 'paced').set('atr-subscription-key', admin);
  }

  async function failingGauge(via: Harness): Promise<number> {
    const res = await request(via.app).get('/metrics');
    return Number(/^mtp_map_tokens_failing (\S+)$/m.exec(res.text)?.[1]);
  }

  test('serves the unexpired token, records lastRefreshError on the row, pauses 1.5 s then 3 s, and clears it on success', async () => {
    const created = await create('paced');
    const failingBefore = await failingGauge(b);
    moveTo(created.expiresAt - 100 * 1000);
    fake.reset();
    fake.mode = 'http-500';

    expect((await readVia(paced, created.id)).body.token).toBe(created.token);
    const firstCalls = fake.calls.length;
    expect(firstCalls).toBeGreaterThanOrEqual(1);
    const failedAt = clock.now();

    // another instance, which never called ArcGIS, sees the failure and lists it
    const seen = await adminGet(b, `/${created.id}`);
    expect(seen.body.result[0].lastRefreshError).toEqual({
      at: new Date(failedAt).toISOString(),
      kind: 'error',
      message: expect.stringContaining('500'),
    });
    const failing = await adminGet(b, '?failing=true');
    expect(failing.body.result.map((r: { mapTokenID: number }) => r.mapTokenID)).toEqual([created.id]);
    expect(await failingGauge(b)).toBe(failingBefore + 1);

    clock.advance(1499); // inside the first pause: served, no call
    expect((await readVia(paced, created.id)).body.token).toBe(created.token);
    expect(fake.calls).toHaveLength(firstCalls);

    clock.advance(1); // the pause is over: one more try, which fails too
    expect((await readVia(paced, created.id)).body.token).toBe(created.token);
    const secondCalls = fake.calls.length;
    expect(secondCalls).toBeGreaterThan(firstCalls);

    clock.advance(2999); // the second pause is twice as long
    expect((await readVia(paced, created.id)).body.token).toBe(created.token);
    expect(fake.calls).toHaveLength(secondCalls);

    fake.mode = 'ok';
    clock.advance(1);
    await readVia(paced, created.id);
    const renewed = await readVia(paced, created.id);
    expect(renewed.body.token).not.toBe(created.token);
    expect(fake.calls).toHaveLength(secondCalls + 1);

    clock.advance(CACHE_TTL_MS); // b re-reads the row
    expect((await adminGet(b, `/${created.id}`)).body.result[0].lastRefreshError).toBeNull();
    expect((await adminGet(b, '?failing=true')).body.result).toEqual([]);
    expect(await failingGauge(b)).toBe(failingBefore);
  });

  test('a rejection is recorded as kind "rejected" with ArcGIS\'s message and no secret; a hang as "timeout"', async () => {
    const created = await create('paced');
    moveTo(created.expiresAt - 100 * 1000);
    fake.reset();
    fake.mode = 'reject';
    await readVia(paced, created.id);
    const rejected = (await adminGet(paced, `/${created.id}`)).body.result[0].lastRefreshError;
    expect(rejected).toEqual({ at: expect.any(String), kind: 'rejected', message: 'Invalid client_secret' });

    fake.mode = 'hang';
    clock.advance(3000);
    await readVia(paced, created.id);
    const timedOut = (await adminGet(paced, `/${created.id}`)).body.result[0].lastRefreshError;
    expect(timedOut).toEqual({ at: new Date(clock.now()).toISOString(), kind: 'timeout', message: expect.any(String) });
    const dump = await db.dump();
    expect(dump).not.toContain(SECRET);
    expect(JSON.stringify([rejected, timedOut])).not.toContain(SECRET);
    fake.mode = 'ok';
  });
});

describe('a read with no unexpired token while ArcGIS fails', () => {
  test.each<[FakeArcgisMode, number, string]>([
    ['http-500', 502, 'BadGateway'],
    ['html', 502, 'BadGateway'],
    ['bad-json', 502, 'BadGateway'],
    ['reset', 502, 'BadGateway'],
    ['redirect', 502, 'BadGateway'],
    ['reject', 502, 'BadGateway'],
    ['hang', 504, 'GatewayTimeout'],
  ])('when ArcGIS answers %s, the read answers %i %s in the error envelope', async (mode, status, code) => {
    const created = await create('expired');
    moveTo(created.expiresAt + 1);
    fake.reset();
    fake.mode = mode;

    const res = await readToken('expired', created.id);

    expectEnvelope(res, status, code);
    expect(fake.calls.length).toBeGreaterThanOrEqual(1);
    expect(fake.calls.filter((call) => call.path === '/elsewhere')).toHaveLength(0);
  });
});

describe('a PUT whose token fetch fails stores nothing', () => {
  test("when ArcGIS rejects the credentials with an HTTP 200 error body, a PUT answers 400 naming the item and quoting ArcGIS's message", async () => {
    fake.failNext('reject');

    const res = await put('put-reject', [{ organization_ID: 1, authType: 'static', token: 'statictok-put-reject' }, agol()]);

    expectEnvelope(res, 400, 'BadRequest');
    expect(res.body.details[0].path).toBe('/1');
    expect(res.body.details[0].message).toContain('Invalid client_secret');
    expect(res.body.msg).toContain('/1');
    expect(res.body.msg).toContain('Invalid client_secret');
    expect(fake.calls).toHaveLength(1);
    await expectNothingStored('put-reject');
  });

  test('when ArcGIS answers HTTP 500, a PUT answers 502 and stores nothing', async () => {
    fake.mode = 'http-500';

    const res = await put('put-500', [agol()]);

    expectEnvelope(res, 502, 'BadGateway');
    await expectNothingStored('put-500');
  });

  test('when ArcGIS hangs, a PUT answers 504 and stores nothing', async () => {
    fake.mode = 'hang';

    const res = await put('put-hang', [agol()]);

    expectEnvelope(res, 504, 'GatewayTimeout');
    await expectNothingStored('put-hang');
  });

  test('when ArcGIS redirects, a PUT answers 502, the redirect target is never called, and nothing is stored', async () => {
    fake.mode = 'redirect';

    const res = await put('put-redirect', [agol()]);

    expectEnvelope(res, 502, 'BadGateway');
    expect(fake.calls.map((call) => call.path)).toEqual([FAKE_ARCGIS_TOKEN_PATH]);
    await expectNothingStored('put-redirect');
  });

  test('a 3-item batch whose third item ArcGIS rejects stores none of the three', async () => {
    const res = await put('put-batch', [
      agol({ authKey: 'app-one' }),
      agol({ authKey: 'app-two' }),
      agol({ authKey: 'strict-app', authToken: 'sekret-wrong-for-strict', authURL: strict.tokenUrl }),
    ]);

    expectEnvelope(res, 400, 'BadRequest');
    expect(res.body.details).toEqual([expect.objectContaining({ path: '/2', message: expect.stringContaining('Invalid client_secret') })]);
    expect(fake.calls).toHaveLength(2); // items 1 and 2 got tokens, which were thrown away
    expect(strict.calls).toHaveLength(1);
    await expectNothingStored('put-batch');
  });
});

describe('AUTH_URL_ALLOWLIST', () => {
  test.each([
    ['another host', 'https://evil.example.com/sharing/rest/oauth2/token/'],
    ['plain http to ArcGIS Online', 'http://www.arcgis.com/sharing/rest/oauth2/token/'],
    ['a local token URL on a port that is not listed', 'outsider'],
  ])('an authURL on %s answers 400 and no call leaves the service', async (_name, url) => {
    const authURL = url === 'outsider' ? outsider.tokenUrl : url;

    const res = await put('allowlist', [agol({ authURL })]);

    expectEnvelope(res, 400, 'BadRequest');
    expect(res.body.details[0].path).toBe('/0/authURL');
    expect(fake.calls).toHaveLength(0);
    expect(strict.calls).toHaveLength(0);
    expect(outsider.calls).toHaveLength(0);
    await expectNothingStored('allowlist');
  });

  test('an update that moves authURL outside the allowlist answers 400 and keeps the stored resource', async () => {
    const created = await create('allowlist-update');
    fake.reset();

    const res = await put('allowlist-update', [agol({ mapTokenID: created.id, authURL: outsider.tokenUrl })]);

    expectEnvelope(res, 400, 'BadRequest');
    expect(outsider.calls).toHaveLength(0);
    expect(fake.calls).toHaveLength(0);
    const read = await readToken('allowlist-update', created.id);
    expect(read.body.token).toBe(created.token);
  });
});

describe('AUTH_URL_ALLOWLIST narrowed after a write', () => {
  test('a read that needs a refresh answers 502 (not 400: the reader is not at fault) and calls nothing', async () => {
    const created = await create('allowlist-narrowed');
    fake.reset();
    const narrowed = createHarness({ mysqlUrl: db.url, clock, env: { AUTH_URL_ALLOWLIST: 'https://www.arcgis.com' } });
    harnesses.push(narrowed);
    const reader = await narrowed.key('allowlist-narrowed', 'reader');
    moveTo(created.expiresAt + 1);

    const res = await request(narrowed.app)
      .get(`/api/v1/map-tokens/${created.id}/token`)
      .set('atr-environment-id', 'allowlist-narrowed')
      .set('atr-subscription-key', reader);

    expectEnvelope(res, 502, 'BadGateway');
    expect(res.body.msg).toContain('AUTH_URL_ALLOWLIST');
    expect(fake.calls).toHaveLength(0);
    const row = await narrowed.store.mapTokens.get({ environment: 'allowlist-narrowed', organizationId: null }, created.id);
    expect(row?.lastRefreshError).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('is not in AUTH_URL_ALLOWLIST (https://www.arcgis.com)'),
    });
  });
});

describe('which updates call ArcGIS', () => {
  test('an update that changes only organization_ID (a GET-modify-PUT round trip) keeps the token and calls nobody', async () => {
    const created = await create('update');
    const { admin } = await keysFor('update');
    const got = await request(a.app)
      .get(`/api/v1/admin/map-tokens/${created.id}`)
      .set('atr-environment-id', 'update')
      .set('atr-subscription-key', admin);
    fake.reset();

    const res = await put('update', [{ ...got.body.result[0], organization_ID: 2 }]);

    expect(res.status).toBe(200);
    expect(res.body.result[0]).toMatchObject({ mapTokenID: created.id, organization_ID: 2, token: created.token });
    expect(fake.calls).toHaveLength(0);
  });

  // functions: the fake's URL is known only once it listens
  test.each<[string, () => Record<string, unknown>]>([
    ['authKey', () => ({ authKey: 'app-failures-renamed' })],
    ['authToken', () => ({ authToken: OTHER_SECRET })],
    ['authTimeout', () => ({ authTimeout: 60 })],
    // the same token URL written without its trailing slash: a different authURL
    ['authURL', () => ({ authURL: fake.tokenUrl.replace(/\/$/, '') })],
  ])('an update that changes %s calls ArcGIS once and stores the new token', async (_field, changeOf) => {
    const change = changeOf();
    const created = await create('update');
    fake.reset();

    const res = await put('update', [agol({ mapTokenID: created.id, ...change })]);

    expect(res.status).toBe(200);
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0].params).toMatchObject({
      client_id: (change as { authKey?: string }).authKey ?? 'app-failures',
      client_secret: (change as { authToken?: string }).authToken ?? SECRET,
    });
    expect(res.body.result[0].token).not.toBe(created.token);
    const read = await readToken('update', created.id, b);
    expect(read.body.token).toBe(res.body.result[0].token);
    expect(fake.calls).toHaveLength(1);
  });

  test('an update that omits authToken keeps the stored secret: the next refresh sends the original one', async () => {
    const created = await create('update');
    const item = agol({ mapTokenID: created.id, organization_ID: 3 });
    delete item.authToken;

    const res = await put('update', [item]);
    expect(res.status).toBe(200);
    expect(res.body.result[0]).not.toHaveProperty('authToken');
    moveTo(created.expiresAt + 1);
    fake.reset();

    const read = await readToken('update', created.id);

    expect(read.status).toBe(200);
    expect(read.body.token).not.toBe(created.token);
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0].params.client_secret).toBe(SECRET);
  });
});

describe('two instances on one database', () => {
  test('a change through instance A is served by instance B once CACHE_TTL_SECONDS has passed, without B calling ArcGIS', async () => {
    const created = await create('multi');
    const seen = await readToken('multi', created.id, b); // now in B's cache
    expect(seen.body.token).toBe(created.token);

    const changed = await put('multi', [agol({ mapTokenID: created.id, authKey: 'app-failures-moved' })]);
    expect(changed.status).toBe(200);
    const newToken = changed.body.result[0].token as string;
    expect(newToken).not.toBe(created.token);
    fake.reset();

    clock.advance(CACHE_TTL_MS + 1);
    const res = await readToken('multi', created.id, b);

    expect(res.status).toBe(200);
    expect(res.body.token).toBe(newToken);
    expect(fake.calls).toHaveLength(0);
  });

  test('past half of CACHE_TTL_SECONDS a read on B answers from its cache at once and re-reads the row in the background', async () => {
    const created = await create('multi');
    expect((await readToken('multi', created.id, b)).body.token).toBe(created.token); // cached in B
    const changed = await put('multi', [agol({ mapTokenID: created.id, authKey: 'app-failures-half' })]);
    const newToken = changed.body.result[0].token as string;

    clock.advance(CACHE_TTL_MS / 2 - 1);
    expect((await readToken('multi', created.id, b)).body.token).toBe(created.token);
    await b.idle();
    expect((await readToken('multi', created.id, b)).body.token).toBe(created.token); // no re-read yet

    clock.advance(1);
    expect((await readToken('multi', created.id, b)).body.token).toBe(created.token); // answered from the cache
    await b.idle();
    expect((await readToken('multi', created.id, b)).body.token).toBe(newToken); // the background re-read landed
  });

  test('a delete through instance A makes instance B answer 404 once CACHE_TTL_SECONDS has passed', async () => {
    const created = await create('multi');
    expect((await readToken('multi', created.id, b)).status).toBe(200);
    const { admin } = await keysFor('multi');

    const deleted = await request(a.app)
      .delete(`/api/v1/admin/map-tokens/${created.id}`)
      .set('atr-environment-id', 'multi')
      .set('atr-subscription-key', admin);
    expect(deleted.status).toBe(204);
    expectEnvelope(await readToken('multi', created.id, a), 404, 'NotFound');

    clock.advance(CACHE_TTL_MS + 1);
    expectEnvelope(await readToken('multi', created.id, b), 404, 'NotFound');
    expect(fake.calls).toHaveLength(1); // the create's only
  });
});

// last on purpose: it reads every log line the tests above made the two instances write
describe('logs', () => {
  test('no log line of either instance holds a client secret or any issued token', () => {
    for (const harness of harnesses) {
      const text = harness.logText();
      expect(text.length).toBeGreaterThan(0);
      expect(text).not.toContain('sekret-');
      expect(text).not.toMatch(ISSUED_TOKEN);
      expect(text).not.toContain('statictok-');
    }
  });
});
