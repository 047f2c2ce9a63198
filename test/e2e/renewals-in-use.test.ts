import type { RenewalScheduler } from '../../src/services/renewal-scheduler';
import { FakeClock } from '../support/fake-clock';
import { createHarness, type Harness } from '../support/harness';
import { useDatabaseAndArcgis } from '../support/database-and-arcgis';
import type { FakeArcgis } from '../support/fake-arcgis';
import type { TestDatabase } from '../support/test-database';
import { agolApps, putMapTokens, readMapToken } from '../support/map-token-requests';

/**
 * SPEC "Refresh ahead" and "Renewal capacity grows with the fleet": REFRESH_AHEAD=in-use renews only
 * the tokens read or written within REFRESH_AHEAD_IDLE_HOURS (one indexed range), `all` every one,
 * `on-read` none ahead; RENEWAL_CONCURRENCY slots are refilled as they free, not once per tick; the
 * backlog gauge mtp_renewals_due rises and drains. Real MySQL, the ArcGIS stand-in, a shared fake clock;
 * ticks are driven by the test.
 */

const ENV = 'in-use';
const SECRET = 'sekret-in-use-Hq2Lm7';
const MINUTE_MS = 60_000;
/** A 120-minute token's refresh point: 10 minutes before it expires. */
const REFRESH_POINT_MS = 110 * MINUTE_MS;

const setup = useDatabaseAndArcgis();
let fake: FakeArcgis;
const clock = new FakeClock();
const harnesses: Harness[] = [];
let db: TestDatabase;
let admin: string;
let reader: string;

function open(env: Record<string, string> = {}): Harness {
  const harness = createHarness({ mysqlUrl: db.url, arcgisOrigin: fake.url, clock, random: () => 0.5, env });
  harnesses.push(harness);
  return harness;
}

const scheduler = (harness: Harness): RenewalScheduler => harness.services.scheduler!;

async function tick(harness: Harness): Promise<void> {
  await scheduler(harness).tick();
  await scheduler(harness).idle();
}

async function create(via: Harness, count: number): Promise<{ id: number; token: string }[]> {
  const res = await putMapTokens(via.app, ENV, admin, agolApps(count, SECRET, fake.tokenUrl));
  expect(res.status).toBe(200);
  return res.body.result.map((r: { mapTokenID: number; token: string }) => ({ id: r.mapTokenID, token: r.token }));
}

const readToken = (harness: Harness, id: number) => readMapToken(harness.app, ENV, reader, id);

async function backlog(harness: Harness): Promise<number> {
  const gauge = harness.metrics.registry.getSingleMetric('mtp_renewals_due');
  return (await gauge?.get())?.values[0]?.value ?? NaN;
}

beforeAll(() => {
  ({ db, fake } = setup);
});

afterAll(async () => {
  for (const harness of harnesses) await harness.close();
});

beforeEach(async () => {
  await db.clear();
  const keys = open();
  admin = await keys.key(ENV);
  reader = await keys.key(ENV, 'reader');
  clock.advance(24 * 3600 * 1000); // every cache entry of an earlier test is older than the TTL
  fake.reset();
});

test('in-use renews a token read within the idle window and leaves an idle one to its next read; all renews both; on-read neither', async () => {
  // an idle window of 1.5 h: at the refresh point (110 min after the write) only a token read since 20 min counts
  const inUse = open({ REFRESH_AHEAD_IDLE_HOURS: '1.5' });
  const all = open({ REFRESH_AHEAD: 'all' });
  const onRead = open({ REFRESH_AHEAD: 'on-read' });
  expect(scheduler(inUse)).toBeDefined();
  expect(onRead.services.scheduler).toBeNull();
  const start = clock.now();
  const [read, idle] = await create(inUse, 2);
  fake.reset();

  clock.advance(30 * MINUTE_MS);
  expect((await readToken(inUse, read.id)).status).toBe(200);
  await inUse.services.usage.flush();

  clock.advance(start + REFRESH_POINT_MS - clock.now());
  expect(await backlog(inUse)).toBe(1);
  expect(await backlog(all)).toBe(2);
  await tick(inUse);
  expect(fake.calls).toHaveLength(1);
  expect(await backlog(inUse)).toBe(0);
  expect(await backlog(all)).toBe(1);

  // the idle one is due but out of the in-use range: ticking again costs nothing
  await tick(inUse);
  expect(fake.calls).toHaveLength(1);
  await tick(all);
  expect(fake.calls).toHaveLength(2);
  expect(await backlog(all)).toBe(0);
  expect(await readToken(onRead, idle.id)).toMatchObject({ status: 200 });
});

test('a token written (not read) within the idle window is in use; 1 ms past the window it is not', async () => {
  const inUse = open({ REFRESH_AHEAD_IDLE_HOURS: '0.5' });
  const [created] = await create(inUse, 1);
  fake.reset();
  // the window reaches back 30 minutes from the refresh point; the write is 110 minutes back
  clock.advance(REFRESH_POINT_MS);
  await tick(inUse);
  expect(fake.calls).toHaveLength(0);

  const rewritten = open({ REFRESH_AHEAD_IDLE_HOURS: String((REFRESH_POINT_MS - 1) / 3_600_000) });
  await tick(rewritten);
  expect(fake.calls).toHaveLength(0);
  const exactly = open({ REFRESH_AHEAD_IDLE_HOURS: String(REFRESH_POINT_MS / 3_600_000) });
  await tick(exactly);
  expect(fake.calls).toHaveLength(1);
  expect((await readToken(inUse, created.id)).body.token).not.toBe(created.token);
});

test('freed slots start the next due token before the next tick, never more than RENEWAL_CONCURRENCY at once', async () => {
  const instance = open({ RENEWAL_CONCURRENCY: '2' });
  const created = await create(instance, 7);
  fake.reset();
  fake.delayMs = 20;
  clock.advance(REFRESH_POINT_MS);
  let running = 0;
  let most = 0;
  const renewAhead = instance.broker.renewAhead.bind(instance.broker);
  instance.broker.renewAhead = async (environment, id) => {
    running += 1;
    most = Math.max(most, running);
    try {
      return await renewAhead(environment, id);
    } finally {
      running -= 1;
    }
  };
  // one tick only: the five left over start as the first two finish
  await tick(instance);
  expect(fake.calls).toHaveLength(7);
  expect(most).toBe(2);
  expect(new Set(fake.calls.map((call) => call.params.client_id)).size).toBe(7);
  for (const { id, token } of created) expect((await readToken(instance, id)).body.token).not.toBe(token);
});

test('the backlog gauge rises with tokens past their refresh point and drains as they are renewed; its help says fleet-wide, aggregate with max', async () => {
  const instance = open({ RENEWAL_CONCURRENCY: '2' });
  await create(instance, 5);
  fake.reset();
  expect(await backlog(instance)).toBe(0);
  clock.advance(REFRESH_POINT_MS - 1);
  expect(await backlog(instance)).toBe(0);
  clock.advance(1);
  expect(await backlog(instance)).toBe(5);

  const release = fake.hold();
  await scheduler(instance).tick();
  await fake.waitForCalls(2);
  expect(await backlog(instance)).toBe(5); // in flight is not renewed yet
  release();
  await scheduler(instance).idle();
  expect(await backlog(instance)).toBe(0);
  const text = await instance.metrics.registry.metrics();
  expect(text).toMatch(/# HELP mtp_renewals_due .*Fleet-wide: read from the shared database.*aggregate with max, not sum/);
  expect(text).toContain('mtp_renewals_due 0');
});

test('the in-use due query is one range on map_tokens_in_use (EXPLAIN on the statement the store sends)', async () => {
  const instance = open();
  await create(instance, 50);
  const database = (instance.store as unknown as { database: { rows: (sql: string, params: unknown[]) => Promise<unknown[]> } }).database;
  const sent: { sql: string; params: unknown[] }[] = [];
  const rows = database.rows.bind(database);
  database.rows = (sql, params) => {
    if (/renew_at <= \?/.test(sql)) sent.push({ sql, params });
    return rows(sql, params);
  };
  await tick(instance);
  database.rows = rows;
  expect(sent).toHaveLength(1);
  const [plan] = await db.query<{ key: string | null; type: string }[]>(`EXPLAIN ${sent[0].sql}`, sent[0].params);
  expect(plan).toMatchObject({ key: 'map_tokens_in_use', type: 'range' });
});
