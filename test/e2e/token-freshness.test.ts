import { SchemaValidator } from '../../src/http/schema-validator';
import { FAKE_ARCGIS_TOKEN_PATH } from '../support/fake-arcgis';
import { FakeClock } from '../support/fake-clock';
import { createHarness, type Harness } from '../support/harness';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { useFakeArcgis } from '../support/use-fake-arcgis';
import { getMapTokens, putMapTokens, readMapToken, serverlessTokenRead } from '../support/map-token-requests';

/**
 * SPEC "Tokens: fresh on every read, fetched once per lifetime" and "Talking to ArcGIS", on the MySQL
 * store, against a real local ArcGIS stand-in. Time moves only through the harness's FakeClock.
 */

const ENV = 'env1';
const SECRET = 'sekret-freshness-7Hq2vX';
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const FIVE_MINUTES_MS = 5 * 60 * 1000;

const fake = useFakeArcgis();
const harnesses: Harness[] = [];
let db: TestDatabase;
let clock: FakeClock;
let h: Harness;
let admin: string;
let reader: string;

function open(): Harness {
  const harness = createHarness({ mysqlUrl: db.url, arcgisOrigin: fake.url, clock });
  harnesses.push(harness);
  return harness;
}

function agol(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    organization_ID: 1,
    authType: 'agol',
    authKey: 'app-freshness',
    authToken: SECRET,
    authTimeout: 120,
    authURL: fake.tokenUrl,
    ...overrides,
  };
}

const put = (app: Harness, items: unknown[]) => putMapTokens(app.app, ENV, admin, items);
const readToken = (app: Harness, id: number, key = reader) => readMapToken(app.app, ENV, key, id);
const adminGet = (app: Harness, path: string) => getMapTokens(app.app, ENV, admin, path);

/** Creates one map token through the API and returns what the PUT answered for it. */
async function create(item: Record<string, unknown> = agol()): Promise<{ id: number; token: string; expiresAt: number }> {
  const res = await put(h, [item]);
  expect(res.status).toBe(200);
  const [resource] = res.body.result;
  return { id: resource.mapTokenID, token: resource.token, expiresAt: Date.parse(resource.token_Expire_Date) };
}

/** mtp_token_read_waits_total of one instance. */
async function readWaits(app: Harness): Promise<number> {
  return (await app.metrics.readWaits.get()).values[0]?.value ?? 0;
}

/** Moves the shared clock to an absolute time. */
function moveTo(at: number): void {
  clock.advance(at - clock.now());
}

beforeAll(async () => {
  db = await createTestDatabase();
  clock = new FakeClock();
  h = open();
  admin = await h.key(ENV);
  reader = await h.key(ENV, 'reader');
});

afterAll(async () => {
  for (const harness of harnesses) await harness.close();
  await db?.drop();
});

describe('the request that reaches ArcGIS', () => {
  test('a PUT posts the documented form: client_id, client_secret, grant_type, expiration in minutes and f=json', async () => {
    await create(agol({ authTimeout: 90 }));

    expect(fake.calls).toHaveLength(1);
    const [call] = fake.calls;
    expect(call.path).toBe(FAKE_ARCGIS_TOKEN_PATH);
    expect(call.contentType).toMatch(/^application\/x-www-form-urlencoded/);
    expect(call.params).toEqual({
      client_id: 'app-freshness',
      client_secret: SECRET,
      grant_type: 'client_credentials',
      expiration: '90',
      f: 'json',
    });
    expect(call.query).toBe('');
  });

  test('with authTimeout null the form carries no expiration, and the secret never appears in the URL', async () => {
    await create(agol({ authTimeout: null }));

    expect(fake.calls).toHaveLength(1);
    const [call] = fake.calls;
    expect(call.params).not.toHaveProperty('expiration');
    expect(call.params).toMatchObject({ client_id: 'app-freshness', client_secret: SECRET, grant_type: 'client_credentials', f: 'json' });
    expect(call.query).not.toContain(SECRET);
    expect(call.path).not.toContain(SECRET);
  });
});

describe('the token read', () => {
  test("answers mapTokenID, token, an ISO expiry with milliseconds, expires_in, and registerToken's expires, server and ssl, never cached, matching token-read.json", async () => {
    const created = await create();

    const res = await readToken(h, created.id);

    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      mapTokenID: created.id,
      token: created.token,
      token_Expire_Date: new Date(created.expiresAt).toISOString(),
      expires_in: 7200,
      expires: created.expiresAt,
      server: `${fake.url}/sharing/rest`,
      ssl: false,
    });
    expect(res.body.token_Expire_Date).toMatch(ISO_MS);
    const validate = new SchemaValidator({ maxBatch: 100 }).compile('token-read.json');
    expect(validate(res.body)).toBe(true);
    expect(fake.calls).toHaveLength(1); // the PUT's call only
  });

  test('an admin key may read a token too', async () => {
    const created = await create();

    const res = await readToken(h, created.id, admin);

    expect(res.status).toBe(200);
    expect(res.body.token).toBe(created.token);
  });
});

describe('refresh ahead: renewed at 2 x margin before expiry, margin = min(5 minutes, 20% of the lifetime)', () => {
  test('a 7200 s token is served with no call until 600 s before expiry; then the read answers it at once and renews it in the background', async () => {
    const created = await create();
    fake.reset();
    const waits = await readWaits(h);

    moveTo(created.expiresAt - 600 * 1000 - 1);
    const before = await readToken(h, created.id);
    expect(before.body.token).toBe(created.token);
    await h.idle();
    expect(fake.calls).toHaveLength(0);

    clock.advance(1); // the refresh point
    const atPoint = await readToken(h, created.id);
    expect(atPoint.status).toBe(200);
    expect(atPoint.body.token).toBe(created.token);
    expect(atPoint.body.expires_in).toBe(600);
    await h.idle();
    expect(fake.calls).toHaveLength(1);

    const renewed = await readToken(h, created.id);
    expect(renewed.body.token).not.toBe(created.token);
    expect(renewed.body.expires_in).toBe(7200);
    expect(Date.parse(renewed.body.token_Expire_Date)).toBe(clock.now() + 7200 * 1000);
    // the new token is good until its own refresh point: more reads cost nothing, and none waited
    const again = await readToken(h, created.id);
    expect(again.body.token).toBe(renewed.body.token);
    await h.idle();
    expect(fake.calls).toHaveLength(1);
    expect(await readWaits(h)).toBe(waits);
  });

  test('a 600 s token (margin 120 s) is renewed from 240 s before expiry, not 1 ms earlier', async () => {
    const created = await create(agol({ authTimeout: 10 }));
    expect(created.expiresAt - clock.now()).toBe(600 * 1000);
    fake.reset();

    moveTo(created.expiresAt - 240 * 1000 - 1);
    expect((await readToken(h, created.id)).body.token).toBe(created.token);
    await h.idle();
    expect(fake.calls).toHaveLength(0);

    clock.advance(1);
    expect((await readToken(h, created.id)).body.expires_in).toBe(240);
    await h.idle();
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0].params.expiration).toBe('10');
    const renewed = await readToken(h, created.id);
    expect(renewed.body.token).not.toBe(created.token);
    expect(renewed.body.expires_in).toBe(600);
  });

  test('a cache TTL longer than the margin does not keep a token past its refresh point from being renewed', async () => {
    const longTtl = createHarness({ mysqlUrl: db.url, arcgisOrigin: fake.url, clock, env: { CACHE_TTL_SECONDS: '3600' } });
    harnesses.push(longTtl);
    const created = await create(agol({ authTimeout: 60 }));
    const first = await readToken(longTtl, created.id); // cached in this instance for up to an hour
    expect(first.body.token).toBe(created.token);
    fake.reset();

    moveTo(created.expiresAt - 2 * FIVE_MINUTES_MS); // 50 minutes on: still inside the cache TTL
    expect((await readToken(longTtl, created.id)).body.token).toBe(created.token);
    await longTtl.idle();

    const res = await readToken(longTtl, created.id);
    expect(res.body.token).not.toBe(created.token);
    expect(res.body.expires_in).toBe(3600);
    expect(fake.calls).toHaveLength(1);
  });

  test('while ArcGIS hangs, a read past the refresh point answers at once with the unexpired token', async () => {
    const created = await create();
    fake.reset();
    const waits = await readWaits(h);
    moveTo(created.expiresAt - 60 * 1000);
    fake.mode = 'hang';

    const res = await readToken(h, created.id);

    expect(res.status).toBe(200);
    expect(res.body.token).toBe(created.token);
    expect(res.body.expires_in).toBe(60);
    await fake.waitForCalls(1); // the renewal is under way in the background, still unanswered
    expect(await readWaits(h)).toBe(waits);
    await h.idle();
  });

  test('a read with no unexpired token waits for ArcGIS and is counted in mtp_token_read_waits_total', async () => {
    const created = await create();
    fake.reset();
    const waits = await readWaits(h);
    moveTo(created.expiresAt);

    const res = await readToken(h, created.id);

    expect(res.status).toBe(200);
    expect(res.body.token).not.toBe(created.token);
    expect(fake.calls).toHaveLength(1);
    expect(await readWaits(h)).toBe(waits + 1);
  });
});

describe('a refreshed token at rest', () => {
  test('is stored encrypted, and an instance started afterwards serves it without calling ArcGIS', async () => {
    const created = await create();
    moveTo(created.expiresAt + 1);
    fake.reset();
    const refreshed = await readToken(h, created.id);
    expect(refreshed.status).toBe(200);
    expect(fake.calls).toHaveLength(1);

    const dump = await db.dump();
    expect(dump).not.toContain(created.token);
    expect(dump).not.toContain(refreshed.body.token);
    expect(dump).not.toContain(SECRET);

    const restarted = open();
    const res = await readToken(restarted, created.id);
    expect(res.status).toBe(200);
    expect(res.body.token).toBe(refreshed.body.token);
    expect(res.body.token_Expire_Date).toBe(refreshed.body.token_Expire_Date);
    expect(fake.calls).toHaveLength(1);
  });
});

describe('admin reads', () => {
  test('GET of one resource past its refresh point answers at once and renews in the background; the list answers as cached and calls nobody', async () => {
    const created = await create(agol({ organization_ID: 4242 }));
    moveTo(created.expiresAt - 60 * 1000);
    fake.reset();

    const listed = await adminGet(h, '?organization_ID=4242');
    expect(listed.status).toBe(200);
    expect(listed.body.total).toBe(1);
    expect(listed.body.result[0].token).toBe(created.token);
    expect(listed.body.result[0].lastRefreshError).toBeNull();
    expect(fake.calls).toHaveLength(0);

    const one = await adminGet(h, `/${created.id}`);
    expect(one.status).toBe(200);
    expect(one.body.count).toBe(1);
    expect(one.body.result[0].token).toBe(created.token);
    expect(one.body.result[0]).not.toHaveProperty('authToken');
    await h.idle();
    expect(fake.calls).toHaveLength(1);

    const [resource] = (await adminGet(h, `/${created.id}`)).body.result;
    expect(resource.token).not.toBe(created.token);
    expect(Date.parse(resource.token_Expire_Date)).toBe(clock.now() + 7200 * 1000);
    const relisted = await adminGet(h, '?organization_ID=4242');
    expect(relisted.body.result[0].token).toBe(resource.token);
    expect(fake.calls).toHaveLength(1);
  });
});

describe('static tokens', () => {
  test('a static token without a date is served as stored, with null expiry and expires_in', async () => {
    const created = await create({ organization_ID: 1, authType: 'static', token: 'static-token-no-date' });
    clock.advance(30 * 24 * 3600 * 1000);

    const res = await readToken(h, created.id);

    expect(res.status).toBe(200);
    expect(res.body).toEqual(serverlessTokenRead(created.id, 'static-token-no-date'));
    expect(new SchemaValidator({ maxBatch: 100 }).compile('token-read.json')(res.body)).toBe(true);
    expect(fake.calls).toHaveLength(0);
  });

  test('a static token with a date is served as stored even inside the margin, with the seconds it has left', async () => {
    const expires = new Date(clock.now() + 3600 * 1000).toISOString();
    const created = await create({ organization_ID: 1, authType: 'static', token: 'static-token-dated', token_Expire_Date: expires });
    clock.advance(3600 * 1000 - 30 * 1000);

    const res = await readToken(h, created.id);

    expect(res.status).toBe(200);
    expect(res.body).toEqual(serverlessTokenRead(created.id, 'static-token-dated', { token_Expire_Date: expires, expires_in: 30 }));
    expect(fake.calls).toHaveLength(0);
  });
});
