import request from 'supertest';
import { FakeClock } from '../support/fake-clock';
import { createHarness, type Harness } from '../support/harness';
import { mysqlTestUrl } from '../support/mysql-url';
import { TcpProxy } from '../support/tcp-proxy';
import { useDatabaseAndArcgis } from '../support/database-and-arcgis';
import type { FakeArcgis } from '../support/fake-arcgis';
import type { TestDatabase } from '../support/test-database';

/**
 * SPEC `usage` of the map token resource: token reads (GET and POST of the token read route, through the
 * fast path and the router alike; admin reads do not count) are counted in memory and written in batches,
 * never on the read path; a flush that finds MySQL away keeps its counts and the next one adds them;
 * drain() (what the server awaits on SIGTERM) writes what is left. Real MySQL, the stand-in, a fake clock.
 */

const ENV = 'usage';
const SECRET = 'sekret-usage-Vb8Nc4';

const setup = useDatabaseAndArcgis();
let fake: FakeArcgis;
const clock = new FakeClock();
const harnesses: Harness[] = [];
let db: TestDatabase;
let h: Harness;
let admin: string;
let reader: string;

function open(mysqlUrl = db.url): Harness {
  const harness = createHarness({ mysqlUrl, arcgisOrigin: fake.url, clock, env: { REFRESH_AHEAD: 'on-read' } });
  harnesses.push(harness);
  return harness;
}

async function create(via = h): Promise<{ id: number; token: string }> {
  const res = await request(via.app)
    .put('/api/v1/admin/map-tokens')
    .set('atr-environment-id', ENV)
    .set('atr-subscription-key', admin)
    .send([{ organization_ID: 1, authType: 'agol', authKey: 'app', authToken: SECRET, authTimeout: 120, authURL: fake.tokenUrl }]);
  expect(res.status).toBe(200);
  return { id: res.body.result[0].mapTokenID, token: res.body.result[0].token };
}

const withKey = (req: request.Test, key = reader) => req.set('atr-environment-id', ENV).set('atr-subscription-key', key);

/** The usage the admin list answers (tokens as cached: no renewal, whatever ArcGIS does). */
async function usageOf(id: number, via = h): Promise<{ lastReadAt: string | null; reads: number }> {
  const res = await withKey(request(via.app).get('/api/v1/admin/map-tokens'), admin);
  expect(res.status).toBe(200);
  return res.body.result.find((item: { mapTokenID: number }) => item.mapTokenID === id).usage;
}

beforeAll(() => {
  ({ db, fake } = setup);
  h = open();
});

afterAll(async () => {
  for (const harness of harnesses) await harness.close();
});

beforeEach(async () => {
  await db.clear();
  admin = await h.key(ENV);
  reader = await h.key(ENV, 'reader');
  clock.advance(3600_000);
  fake.reset();
});

test('token reads through the fast path, the router and the report count; admin reads do not; written in one batch at the flush', async () => {
  const created = await create();
  expect(await usageOf(created.id)).toEqual({ lastReadAt: null, reads: 0 });

  await withKey(request(h.app).get(`/api/v1/map-tokens/${created.id}/token`)).expect(200); // the fast path
  await withKey(request(h.app).get(`/api/v1/map-tokens/${created.id}/token/`)).expect(200); // the router
  clock.advance(1500);
  const lastRead = clock.now();
  await withKey(request(h.app).post(`/api/v1/map-tokens/${created.id}/token`).send({ rejected: 'not-the-current-token' })).expect(200);
  const one = await withKey(request(h.app).get(`/api/v1/admin/map-tokens/${created.id}`), admin).expect(200);
  expect(one.body.result[0].usage).toEqual({ lastReadAt: null, reads: 0 });
  clock.advance(1000);

  // counted, not written yet
  expect(h.services.usage.unwritten).toBe(1);
  expect(await usageOf(created.id)).toEqual({ lastReadAt: null, reads: 0 });
  await h.services.usage.flush();
  expect(h.services.usage.unwritten).toBe(0);
  expect(await usageOf(created.id)).toEqual({ lastReadAt: new Date(lastRead).toISOString(), reads: 3 });
  // every answer that carries the resource shows it: one resource too
  const again = await withKey(request(h.app).get(`/api/v1/admin/map-tokens/${created.id}`), admin);
  expect(again.body.result[0].usage).toEqual({ lastReadAt: new Date(lastRead).toISOString(), reads: 3 });
});

test('a read never writes to MySQL: 30 reads of three kinds send no UPDATE or INSERT, the flush sends one', async () => {
  const created = await create();
  await withKey(request(h.app).get(`/api/v1/map-tokens/${created.id}/token`)).expect(200); // caches the key and the token
  const database = (h.store as unknown as { database: Record<'rows' | 'execute', (sql: string, ...rest: unknown[]) => Promise<unknown>> })
    .database;
  const writes: string[] = [];
  const originals = { rows: database.rows.bind(database), execute: database.execute.bind(database) };
  for (const name of ['rows', 'execute'] as const) {
    database[name] = (sql, ...rest) => {
      if (!/^\s*SELECT/i.test(sql)) writes.push(sql.trim().split(/\s+/).slice(0, 2).join(' '));
      return originals[name](sql, ...rest);
    };
  }
  try {
    for (let i = 0; i < 10; i += 1) {
      await withKey(request(h.app).get(`/api/v1/map-tokens/${created.id}/token`)).expect(200);
      await withKey(request(h.app).get(`/api/v1/map-tokens/${created.id}/token/`)).expect(200);
      await withKey(request(h.app).post(`/api/v1/map-tokens/${created.id}/token`).send({ rejected: 'other' })).expect(200);
      clock.advance(3000); // past the cache TTL now and then: re-reads are reads
    }
    expect(writes).toEqual([]);
    await h.services.usage.flush();
    expect(writes).toEqual(['UPDATE map_tokens']);
  } finally {
    Object.assign(database, originals);
  }
  expect((await usageOf(created.id)).reads).toBe(31);
});

test('a read that fails because ArcGIS does still counts (someone uses the token); one of a token not there does not', async () => {
  const created = await create();
  clock.advance(2 * 3600_000);
  fake.mode = 'http-500';
  await withKey(request(h.app).get(`/api/v1/map-tokens/${created.id}/token`)).expect(502);
  await withKey(request(h.app).get(`/api/v1/map-tokens/${created.id + 1000}/token`)).expect(404);
  await h.services.usage.flush();
  expect((await usageOf(created.id)).reads).toBe(1);
  expect(h.services.usage.unwritten).toBe(0);
});

test('while MySQL is away reads keep being counted; the flush fails, keeps the counts, and the next one after MySQL returns adds them all', async () => {
  const proxy = new TcpProxy('127.0.0.1', Number(new URL(mysqlTestUrl()).port || 3306));
  const port = await proxy.start();
  const url = new URL(db.url);
  url.port = String(port);
  const cut = open(url.toString());
  try {
    const created = await create(cut);
    await withKey(request(cut.app).get(`/api/v1/map-tokens/${created.id}/token`)).expect(200);
    proxy.cut();
    for (let i = 0; i < 4; i += 1) await withKey(request(cut.app).get(`/api/v1/map-tokens/${created.id}/token`)).expect(200);
    const lastRead = clock.now();
    await cut.services.usage.flush();
    expect(cut.services.usage.unwritten).toBe(1);
    expect(cut.logs.some((line) => line.msg === 'token usage not written; kept for the next write')).toBe(true);
    clock.advance(1000);
    await withKey(request(cut.app).get(`/api/v1/map-tokens/${created.id}/token`)).expect(200);

    proxy.restore();
    clock.advance(1000);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the store's fail-fast second after the cut
    await cut.services.usage.flush();
    expect(cut.services.usage.unwritten).toBe(0);
    expect(await usageOf(created.id)).toEqual({ lastReadAt: new Date(lastRead + 1000).toISOString(), reads: 6 });
  } finally {
    proxy.restore();
    await proxy.stop();
  }
});

test('drain() (graceful shutdown) writes the usage counted so far; another instance then sees it', async () => {
  const leaving = open();
  const created = await create();
  for (let i = 0; i < 3; i += 1) await withKey(request(leaving.app).get(`/api/v1/map-tokens/${created.id}/token`)).expect(200);
  await leaving.services.drain();
  expect(leaving.services.usage.unwritten).toBe(0);
  expect((await usageOf(created.id)).reads).toBe(3);
});
