import request from 'supertest';
import { FakeArcgis } from '../support/fake-arcgis';
import { useDatabaseAndArcgis } from '../support/database-and-arcgis';
import { createHarness, type Harness } from '../support/harness';

const setup = useDatabaseAndArcgis();
let h: Harness;
let keys: Record<string, { admin: string; reader: string }>;

const agol = (extra: Record<string, unknown> = {}) => ({
  organization_ID: 1,
  authType: 'agol',
  authKey: 'edge-app',
  authToken: 'edge-secret',
  authURL: setup.fake.tokenUrl,
  ...extra,
});
const put = (env: string, body: unknown) =>
  request(h.app)
    .put('/api/v1/admin/map-tokens')
    .set('atr-environment-id', env)
    .set('atr-subscription-key', keys[env].admin)
    .send(body as object);
const read = (env: string, id: number, key = keys[env].reader) =>
  request(h.app).get(`/api/v1/map-tokens/${id}/token`).set('atr-environment-id', env).set('atr-subscription-key', key);
const rows = async () => Number((await setup.db.query<{ n: number }[]>('SELECT COUNT(*) AS n FROM map_tokens'))[0].n);

beforeEach(async () => {
  await setup.db.clear();
  setup.fake.reset();
  h = createHarness({ mysqlUrl: setup.db.url, arcgisOrigin: setup.fake.url, env: { UPSTREAM_TIMEOUT_MS: '300' } });
  keys = {};
  for (const env of ['env-a', 'env-b']) keys[env] = { admin: await h.key(env, 'admin'), reader: await h.key(env, 'reader') };
});
afterEach(() => h.close());

it("a read from another environment never shares or spoils this environment's read of the same id", async () => {
  const created = (await put('env-a', [agol()])).body.result[0];
  expect((await read('env-a', created.mapTokenID)).status).toBe(200);
  // the other environment's lookup waits until released, so this environment's read comes while it is in flight
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let started!: () => void;
  const theirsInFlight = new Promise<void>((resolve) => (started = resolve));
  const get = h.store.mapTokens.get.bind(h.store.mapTokens);
  h.store.mapTokens.get = async (scope, id) => {
    if (scope.environment === 'env-b') {
      started();
      await released;
    }
    return get(scope, id);
  };
  h.clock.advance(6000); // past CACHE_TTL_SECONDS: this environment's next read re-checks the store
  const theirs = read('env-b', created.mapTokenID).then((res) => res);
  await theirsInFlight;
  // merged with theirs, this read would wait for their release (and then share their 404)
  const mine = read('env-a', created.mapTokenID).then((res) => res);
  const first = await Promise.race([mine, new Promise<'waiting'>((resolve) => setTimeout(() => resolve('waiting'), 3000))]);
  release();
  expect(first === 'waiting' ? 'waited for the other environment' : first.status).toBe(200);
  expect((await theirs).status).toBe(404);
  expect((await read('env-a', created.mapTokenID)).status).toBe(200);
  expect(setup.fake.calls).toHaveLength(1); // the create only
});

it('refuses a date the schema admits but no clock can hold (a leap second) with 400, storing nothing', async () => {
  const res = await put('env-a', [{ organization_ID: 1, authType: 'static', token: 't', token_Expire_Date: '2030-06-30T23:59:60Z' }]);
  expect(res.status).toBe(400);
  expect(res.body.details[0].path).toBe('/0/token_Expire_Date');
  expect(await rows()).toBe(0);
});

it('answers a large PUT against a hanging ArcGIS within about one timeout, not one per item', async () => {
  setup.fake.mode = 'hang';
  const started = Date.now();
  // 100 items, 8 at a time, 300 ms each: one timeout per wave would be 13 waves, about 3.9 s
  const res = await put(
    'env-a',
    Array.from({ length: 100 }, (_, i) => agol({ authKey: `app-${i}` })),
  );
  expect(res.status).toBe(504);
  expect(Date.now() - started).toBeLessThan(2000);
  expect(setup.fake.calls.length).toBeLessThanOrEqual(8);
  expect(await rows()).toBe(0);
});

it('refuses with 409, storing nothing, a PUT whose resource another PUT changed while it waited for ArcGIS', async () => {
  const created = (await put('env-a', [agol()])).body.result[0];
  // slow: new secret, so it waits for ArcGIS (held); fast: only the organization, no ArcGIS call
  const releaseArcgis = setup.fake.hold();
  const slow = put('env-a', [{ ...agol({ authToken: 'new-secret' }), mapTokenID: created.mapTokenID }]).then((res) => res); // sent now
  await setup.fake.waitForCalls(2); // the create's call, then the slow PUT's: it has read the row and waits
  const fast = await put('env-a', [{ ...agol(), organization_ID: 2, mapTokenID: created.mapTokenID, authToken: undefined }]);
  expect(fast.status).toBe(200);
  releaseArcgis();
  const late = await slow;
  expect(late.status).toBe(409);
  expect(late.body.code).toBe('Conflict');
  const stored = (
    await request(h.app)
      .get(`/api/v1/admin/map-tokens/${created.mapTokenID}`)
      .set('atr-environment-id', 'env-a')
      .set('atr-subscription-key', keys['env-a'].admin)
  ).body.result[0];
  expect(stored.organization_ID).toBe(2);
  // the stored secret is still the first one: the next refresh sends it
  h.clock.advance(7300_000);
  setup.fake.reset();
  expect((await read('env-a', created.mapTokenID)).status).toBe(200);
  expect(setup.fake.calls[0].params.client_secret).toBe('edge-secret');
});

it('does not send the stored secret to another origin: moving authURL elsewhere needs authToken', async () => {
  const other = new FakeArcgis();
  await other.start();
  const h2 = createHarness({ mysqlUrl: setup.db.url, env: { AUTH_URL_ALLOWLIST: `${setup.fake.url},${other.url}` } });
  try {
    const admin = await h2.key('env-c', 'admin');
    const send = (body: unknown) =>
      request(h2.app)
        .put('/api/v1/admin/map-tokens')
        .set('atr-environment-id', 'env-c')
        .set('atr-subscription-key', admin)
        .send(body as object);
    const created = (await send([agol()])).body.result[0];
    const moved = await send([{ ...agol({ authURL: other.tokenUrl }), authToken: undefined, mapTokenID: created.mapTokenID }]);
    expect(moved.status).toBe(400);
    expect(moved.body.details[0].path).toBe('/0/authToken');
    expect(other.calls).toHaveLength(0);
    expect((await send([{ ...agol({ authURL: other.tokenUrl }), mapTokenID: created.mapTokenID }])).status).toBe(200);
    expect(other.calls).toHaveLength(1);
  } finally {
    await h2.close();
    await other.stop();
  }
});

it('records atr-partner-id and, without atr-request-source, the key as the actor, in the audit trail and the log line', async () => {
  const partner = '2269623a-af6a-419f-b15b-2c8391b50149';
  const res = await put('env-a', [{ organization_ID: 1, authType: 'static', token: 't' }]).set('atr-partner-id', partner);
  expect(res.status).toBe(200);
  const [event] = await h.auditEvents('env-a').then((events) => events.filter((e) => e.resourceType === 'map_token'));
  expect(event).toMatchObject({ partnerId: partner, actor: expect.stringMatching(/^key:\d+$/) });
  const line = h.logs.find((l) => l.requestId === res.headers['x-request-id']);
  expect(line).toMatchObject({ partnerId: partner, actor: event.actor });
});

it('answers 401, like any unknown key, to a very long subscription key', async () => {
  const res = await read('env-a', 1, 'k'.repeat(2000));
  expect(res.status).toBe(401);
});

it('marks admin answers, which carry live tokens, as not to be stored', async () => {
  const res = await put('env-a', [{ organization_ID: 1, authType: 'static', token: 't' }]);
  expect(res.headers['cache-control']).toBe('no-store');
  const list = await request(h.app)
    .get('/api/v1/admin/map-tokens')
    .set('atr-environment-id', 'env-a')
    .set('atr-subscription-key', keys['env-a'].admin);
  expect(list.headers['cache-control']).toBe('no-store');
});
