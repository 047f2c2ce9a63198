import * as http from 'node:http';
import request from 'supertest';
import { migrate } from '../../src/stores/mysql/migrate';
import { FakeArcgis } from '../support/fake-arcgis';
import { FakeClock } from '../support/fake-clock';
import { createHarness, type Harness } from '../support/harness';
import { ThrowawayMariadb } from '../support/throwaway-mariadb';

/**
 * SPEC "When MySQL is unreachable": token reads keep serving unexpired tokens and known keys from the
 * process cache; writes and admin reads answer 503 within 5 seconds; /readyz answers 503; everything
 * recovers by itself when MySQL returns. The MySQL server here is a private mariadbd that the test
 * kills (SIGKILL) or freezes (SIGSTOP: a host that accepts connections and answers nothing).
 */

const ENV = 'outage';
const CACHE_TTL_MS = 5000;
const BOUND_MS = 5000;
const RECOVERY_MS = 10_000;

const mariadb = new ThrowawayMariadb();
const fake = new FakeArcgis();
const clock = new FakeClock();
let h: Harness;
let server: http.Server;
let admin: string;
let reader: string;
let staticItem: { id: number; token: string };
let agolItem: { id: number; token: string };

/** Latencies measured while MySQL was away, for the report at the end. */
const measured: Record<string, number> = {};

function api(method: 'get' | 'put' | 'delete', path: string, key: string) {
  return request(server)[method](path).set('atr-environment-id', ENV).set('atr-subscription-key', key);
}

async function timed<T>(label: string, action: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await action();
  measured[label] = Date.now() - started;
  return result;
}

function expectUnavailable(res: request.Response): void {
  expect(res.status).toBe(503);
  expect(res.body).toEqual({ msg: expect.any(String), requestId: res.headers['x-request-id'], code: 'ServiceUnavailable' });
  expect(res.headers['retry-after']).toBe('5');
}

function staticWrite(token: string) {
  return { organization_ID: 1, authType: 'static', token, token_Expire_Date: new Date(clock.now() + 86_400_000).toISOString() };
}

async function create(item: Record<string, unknown>): Promise<{ id: number; token: string }> {
  const res = await api('put', '/api/v1/admin/map-tokens', admin).send([item]);
  expect(res.status).toBe(200);
  return { id: res.body.result[0].mapTokenID, token: res.body.result[0].token };
}

async function readToken(id: number, key = reader) {
  return api('get', `/api/v1/map-tokens/${id}/token`, key);
}

/** Polls /readyz until it answers 200; resolves with how long that took. */
async function untilReady(): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < RECOVERY_MS) {
    const res = await request(server).get('/readyz');
    if (res.status === 200) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`/readyz did not answer 200 within ${RECOVERY_MS} ms of MySQL coming back`);
}

/**
 * The first requests after MySQL went away, all at once and with every process cache past its TTL, so
 * that each one asks MySQL first: none may take 5 s, whatever it waits on (a connect, a query, a pool slot).
 */
async function burst(kind: string): Promise<void> {
  clock.advance(CACHE_TTL_MS + 1000);
  const calls: { label: string; send: () => Promise<request.Response>; ok: boolean }[] = [];
  for (let i = 0; i < 4; i += 1) {
    calls.push({ label: 'PUT', send: () => api('put', '/api/v1/admin/map-tokens', admin).send([staticWrite(`burst-${i}`)]), ok: false });
    calls.push({ label: 'GET list', send: () => api('get', '/api/v1/admin/map-tokens', admin), ok: false });
    calls.push({ label: 'GET one', send: () => api('get', `/api/v1/admin/map-tokens/${agolItem.id}`, admin), ok: false });
    calls.push({ label: 'unknown key', send: () => readToken(staticItem.id, `never-seen-key-${i}-0123456789abcdef`), ok: false });
    for (const item of [staticItem, agolItem]) calls.push({ label: 'token read', send: () => readToken(item.id), ok: true });
  }
  const started = Date.now();
  const answers = await Promise.all(
    calls.map(async (call) => {
      const res = await call.send();
      return { call, res, ms: Date.now() - started };
    }),
  );
  for (const { call, res } of answers) {
    if (call.ok) expect([call.label, res.status]).toEqual([call.label, 200]);
    else expectUnavailable(res);
  }
  const slowest = Math.max(...answers.map((a) => a.ms));
  measured[`${kind}: burst of ${calls.length} concurrent requests, slowest`] = slowest;
  expect(slowest).toBeLessThan(BOUND_MS);
}

/** Everything that needs MySQL answers 503 in time; what the process knows is still served. */
async function checkOutage(kind: string): Promise<void> {
  const ready = await timed(`${kind}: GET /readyz`, () => request(server).get('/readyz'));
  expect(ready.status).toBe(503);
  expect(ready.body).toEqual({ status: 'unavailable', store: 'mysql' });

  const put = await timed(`${kind}: PUT`, () => api('put', '/api/v1/admin/map-tokens', admin).send([staticWrite('written-while-down')]));
  expectUnavailable(put);
  const list = await timed(`${kind}: GET list`, () => api('get', '/api/v1/admin/map-tokens', admin));
  expectUnavailable(list);
  const one = await timed(`${kind}: GET one`, () => api('get', `/api/v1/admin/map-tokens/${staticItem.id}`, admin));
  expectUnavailable(one);
  const deleted = await timed(`${kind}: DELETE`, () => api('delete', `/api/v1/admin/map-tokens/${staticItem.id}`, admin));
  expectUnavailable(deleted);

  for (const item of [staticItem, agolItem]) {
    const res = await timed(`${kind}: token read (cached)`, () => readToken(item.id));
    expect(res.status).toBe(200);
    expect(res.body.token).toBe(item.token);
  }

  // past CACHE_TTL_SECONDS the process would re-check MySQL: it cannot, and keeps what it knows
  clock.advance(CACHE_TTL_MS + 1000);
  for (const item of [staticItem, agolItem]) {
    const res = await timed(`${kind}: token read (cache past its TTL)`, () => readToken(item.id));
    expect(res.status).toBe(200);
    expect(res.body.token).toBe(item.token);
  }

  const unknownKey = await timed(`${kind}: unknown key`, () => readToken(staticItem.id, 'a-key-this-process-has-never-seen-0123456789'));
  expectUnavailable(unknownKey);
  const unknownToken = await timed(`${kind}: uncached map token`, () => readToken(agolItem.id + 1000));
  expectUnavailable(unknownToken);

  for (const [label, ms] of Object.entries(measured)) if (label.startsWith(kind)) expect([label, ms < BOUND_MS]).toEqual([label, true]);
}

/** After MySQL is back: no restart of the app, and every route works again. */
async function checkRecovery(kind: string): Promise<void> {
  measured[`${kind}: recovery (/readyz 200 after MySQL answers)`] = await untilReady();
  const put = await api('put', '/api/v1/admin/map-tokens', admin).send([staticWrite(`written-after-${kind}`)]);
  expect(put.status).toBe(200);
  const list = await api('get', '/api/v1/admin/map-tokens', admin);
  expect(list.status).toBe(200);
  expect(list.body.result.map((r: { token: string }) => r.token)).toContain(`written-after-${kind}`);
  const one = await api('get', `/api/v1/admin/map-tokens/${agolItem.id}`, admin);
  expect(one.status).toBe(200);
  expect(one.body.result[0].token).toBe(agolItem.token);
  for (const item of [staticItem, agolItem]) expect((await readToken(item.id)).body.token).toBe(item.token);
  // a key first seen now is looked up in MySQL again
  const fresh = await h.key(ENV, 'reader');
  expect((await readToken(staticItem.id, fresh)).status).toBe(200);
}

beforeAll(async () => {
  const { url } = await mariadb.start();
  const dbUrl = `${url}/maptokens`;
  await migrate(dbUrl);
  await fake.start();
  h = createHarness({ mysqlUrl: dbUrl, arcgisOrigin: fake.url, clock, env: { CACHE_TTL_SECONDS: String(CACHE_TTL_MS / 1000) } });
  server = http.createServer(h.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  admin = await h.key(ENV, 'admin');
  reader = await h.key(ENV, 'reader');
  staticItem = await create(staticWrite('static-outage-token'));
  agolItem = await create({
    organization_ID: 1,
    authType: 'agol',
    authKey: 'app-outage',
    authToken: 'sekret-outage',
    authTimeout: 120,
    authURL: fake.tokenUrl,
  });
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await h?.close();
  await fake.stop();
  await mariadb.stop();
  console.log(
    `MySQL outage latencies (ms):\n${Object.entries(measured)
      .map(([label, ms]) => `  ${label}: ${ms}`)
      .join('\n')}`,
  );
});

/** Warms every cache the outage relies on (both keys and both tokens) and leaves idle connections in the pool. */
async function warm(): Promise<void> {
  expect((await request(server).get('/readyz')).status).toBe(200);
  const lists = await Promise.all(Array.from({ length: 10 }, () => api('get', '/api/v1/admin/map-tokens', admin)));
  expect(lists.map((res) => res.status)).toEqual(Array(10).fill(200));
  for (const item of [staticItem, agolItem]) expect((await readToken(item.id)).body.token).toBe(item.token);
}

test('when MySQL is killed, writes and admin reads answer 503 quickly while cached tokens are still served; it recovers without a restart', async () => {
  await warm();
  await mariadb.kill();
  await burst('killed');
  await checkOutage('killed');
  await mariadb.restart();
  await checkRecovery('killed');
});

test('when MySQL hangs (accepts connections, answers nothing), every request still ends within 5 s; it recovers without a restart', async () => {
  await warm();
  mariadb.pause();
  try {
    await burst('hung');
    // once the fail-fast window has passed, requests ask MySQL again, and again give up in time
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await burst('hung, again');
    await checkOutage('hung');
  } finally {
    mariadb.resume();
  }
  await checkRecovery('hung');
});
