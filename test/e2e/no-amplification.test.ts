import request from 'supertest';
import { FakeClock } from '../support/fake-clock';
import { createHarness, type Harness } from '../support/harness';
import { useDatabaseAndArcgis } from '../support/database-and-arcgis';
import type { FakeArcgis } from '../support/fake-arcgis';
import type { TestDatabase } from '../support/test-database';

/**
 * SPEC "No amplification while ArcGIS fails" and the hostile-reporter paragraph: the retry pause on the
 * row binds reads (a read with no unexpired token inside it answers 502/504 at once with Retry-After and
 * calls nothing), a report only ever adds a renewal, and the 30 s report window counts on every instance
 * even when the forced renewal fails. Two instances on one MySQL database, the stand-in, a fake clock.
 */

const ENV = 'amplify';
const SECRET = 'sekret-amplify-Rt5Wq1';

const setup = useDatabaseAndArcgis();
let fake: FakeArcgis;
const clock = new FakeClock();
let db: TestDatabase;
let instances: Harness[];
let admin: string;
let reader: string;

async function create(authTimeout = 120): Promise<{ id: number; token: string; expiresAt: number }> {
  const res = await request(instances[0].app)
    .put('/api/v1/admin/map-tokens')
    .set('atr-environment-id', ENV)
    .set('atr-subscription-key', admin)
    .send([{ organization_ID: 1, authType: 'agol', authKey: 'app', authToken: SECRET, authTimeout, authURL: fake.tokenUrl }]);
  expect(res.status).toBe(200);
  const [item] = res.body.result;
  return { id: item.mapTokenID, token: item.token, expiresAt: Date.parse(item.token_Expire_Date) };
}

function readToken(harness: Harness, id: number) {
  return request(harness.app).get(`/api/v1/map-tokens/${id}/token`).set('atr-environment-id', ENV).set('atr-subscription-key', reader);
}

function report(harness: Harness, id: number, rejected: string) {
  return request(harness.app)
    .post(`/api/v1/map-tokens/${id}/token`)
    .set('atr-environment-id', ENV)
    .set('atr-subscription-key', reader)
    .send({ rejected });
}

beforeAll(() => {
  ({ db, fake } = setup);
  // random() 0.5: pauses of 1.5 s, 3 s, 6 s ... (the middle of each equal-jitter range); no scheduler runs here
  instances = [0, 1].map(() =>
    createHarness({ mysqlUrl: db.url, arcgisOrigin: fake.url, clock, random: () => 0.5, env: { REFRESH_AHEAD: 'on-read' } }),
  );
});

afterAll(async () => {
  for (const harness of instances) await harness.close();
});

beforeEach(async () => {
  await db.clear();
  admin = await instances[0].key(ENV);
  reader = await instances[0].key(ENV, 'reader');
  clock.advance(24 * 3600 * 1000);
  fake.reset();
});

test('40 reads over 5 s on two instances of an expired token while ArcGIS fails cost one try per pause; every read inside a pause is a 502 with Retry-After and no call', async () => {
  const created = await create();
  clock.advance(created.expiresAt - clock.now());
  fake.reset();
  fake.mode = 'http-500';

  const tries: number[] = [];
  for (let i = 0; i < 40; i += 1) {
    const before = fake.calls.length;
    const res = await readToken(instances[i % 2], created.id);
    expect(res.status).toBe(502);
    if (fake.calls.length > before) tries.push(clock.now());
    else {
      // answered from the pause: no call, and when to come back
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(6);
      expect(res.body.code).toBe('BadGateway');
    }
    clock.advance(125);
  }
  // pauses of 1.5 s and 3 s: tries at 0, 1.5 s and 4.5 s (each one ArcGIS call plus the client's one 5xx retry)
  expect(tries.map((at) => at - tries[0])).toEqual([0, 1500, 4500]);
  expect(fake.calls).toHaveLength(6);
});

test('an instance that has not seen the pause finds it on the row under the lock and calls nothing', async () => {
  const slow = createHarness({
    mysqlUrl: db.url,
    arcgisOrigin: fake.url,
    clock,
    env: { REFRESH_AHEAD: 'on-read', CACHE_TTL_SECONDS: '120' },
  });
  try {
    const created = await create(1); // a 60 s token, its refresh point 36 s after it was issued
    clock.advance(created.expiresAt - 30_000 - clock.now());
    expect((await readToken(slow, created.id)).body.token).toBe(created.token); // cached there, with no pause
    clock.advance(30_000);
    fake.reset();
    fake.mode = 'http-500';
    expect((await readToken(instances[0], created.id)).status).toBe(502);
    const calls = fake.calls.length;
    expect(calls).toBe(2);

    const res = await readToken(slow, created.id);
    expect(res.status).toBe(502);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(fake.calls).toHaveLength(calls);
  } finally {
    await slow.close();
  }
});

test('a hostile report of the current token during an ArcGIS outage costs one call, answers the reporter 502 and leaves every read at 200', async () => {
  const created = await create();
  fake.reset();
  fake.mode = 'http-500';
  const reported = await report(instances[1], created.id, created.token);
  expect(reported.status).toBe(502);
  const calls = fake.calls.length;
  expect(calls).toBeGreaterThanOrEqual(1);

  for (let i = 0; i < 10; i += 1) {
    // reports again and again, on both instances: inside the 30 s window they add nothing
    await report(instances[i % 2], created.id, created.token);
    const res = await readToken(instances[i % 2], created.id);
    expect(res.status).toBe(200);
    expect(res.body.token).toBe(created.token);
    await instances[i % 2].idle();
    clock.advance(1000);
  }
  // what is left is the renewal's own retries, one per pause (1.5 s, then 3 s): tries at 0, 2 s and 5 s
  expect(fake.calls).toHaveLength(3 * calls);
});

test('two reports at once on two instances while the renewal fails make one forced renewal (the window is on the row before the lock is released), in 8 trials out of 8', async () => {
  for (let trial = 0; trial < 8; trial += 1) {
    fake.reset();
    const created = await create();
    fake.reset();
    fake.mode = 'http-500';
    const release = fake.hold();
    const answers = Promise.all(instances.map((harness) => report(harness, created.id, created.token)));
    await fake.waitForCalls(1);
    release();
    const [first, second] = await answers;
    // the client retries a 5xx once: one forced renewal is two calls
    expect(fake.calls).toHaveLength(2);
    expect([first.status, second.status].sort()).toEqual([200, 502]);
    // the other reporter got the current token (its window), which every read still gets
    for (const harness of instances) expect((await readToken(harness, created.id)).body.token).toBe(created.token);
    clock.advance(60_000);
  }
});
