import { RenewalScheduler } from '../../src/services/renewal-scheduler';
import { FakeClock } from '../support/fake-clock';
import { createHarness, type Harness } from '../support/harness';
import { mysqlTestUrl } from '../support/mysql-url';
import { TcpProxy } from '../support/tcp-proxy';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { agolApps, putMapTokens, readMapToken } from '../support/map-token-requests';
import { useFakeArcgis } from '../support/use-fake-arcgis';

/**
 * SPEC "Refresh ahead" with REFRESH_AHEAD=all: the scheduler renews stored tokens at their refresh point
 * whether or not anyone reads them, once across instances, a few at a time, through a MySQL outage.
 * Ticks are driven by the test (scheduler.tick()) against a fake clock; ArcGIS is the local stand-in.
 */

const ENV = 'scheduled';
const SECRET = 'sekret-scheduler-Pq3Xv9';
/** A 7200 s token's refresh point: 600 s before it expires. */
const LEAD_MS = 600 * 1000;

const fake = useFakeArcgis();
const clock = new FakeClock();
const harnesses: Harness[] = [];
let db: TestDatabase;
let instances: Harness[];
let admin: string;
let reader: string;

function open(mysqlUrl = db.url): Harness {
  const harness = createHarness({
    mysqlUrl,
    arcgisOrigin: fake.url,
    clock,
    random: () => 0.5,
    env: { REFRESH_AHEAD: 'all', RENEWAL_CONCURRENCY: '4' },
  });
  harnesses.push(harness);
  return harness;
}

const scheduler = (harness: Harness): RenewalScheduler => harness.services.scheduler!;

async function tickAll(of: Harness[] = instances): Promise<void> {
  await Promise.all(of.map((harness) => scheduler(harness).tick()));
  await Promise.all(of.map((harness) => scheduler(harness).idle()));
}

async function create(count = 1): Promise<{ id: number; token: string; expiresAt: number }[]> {
  const res = await putMapTokens(instances[0].app, ENV, admin, agolApps(count, SECRET, fake.tokenUrl));
  expect(res.status).toBe(200);
  return res.body.result.map((r: { mapTokenID: number; token: string; token_Expire_Date: string }) => ({
    id: r.mapTokenID,
    token: r.token,
    expiresAt: Date.parse(r.token_Expire_Date),
  }));
}

const readToken = (harness: Harness, id: number) => readMapToken(harness.app, ENV, reader, id);

function moveTo(at: number): void {
  clock.advance(at - clock.now());
}

beforeAll(async () => {
  db = await createTestDatabase();
  instances = [open(), open(), open()];
});

afterAll(async () => {
  for (const harness of harnesses) await harness.close();
  await db?.drop();
});

beforeEach(async () => {
  await db.clear();
  admin = await instances[0].key(ENV);
  reader = await instances[0].key(ENV, 'reader');
  clock.advance(24 * 3600 * 1000); // every cache entry of an earlier test is older than the TTL
});

test('renews a token nobody reads at its refresh point, not 1 ms before, and every instance then serves the new token', async () => {
  const [created] = await create();
  fake.reset();

  moveTo(created.expiresAt - LEAD_MS - 1);
  await tickAll();
  expect(fake.calls).toHaveLength(0);

  clock.advance(1);
  await tickAll();
  expect(fake.calls).toHaveLength(1);

  await tickAll(); // renewed: nothing is due any more
  expect(fake.calls).toHaveLength(1);
  clock.advance(1000); // instances that stepped aside re-read the row a second later
  const served = await Promise.all(instances.map((harness) => readToken(harness, created.id)));
  expect(new Set(served.map((res) => res.body.token)).size).toBe(1);
  expect(served[0].body.token).not.toBe(created.token);
  expect(served[0].body.expires_in).toBe(7199);
  for (const harness of instances) expect((await harness.metrics.readWaits.get()).values[0]?.value ?? 0).toBe(0);
});

test('three instances ticking at the same moment renew 5 due tokens with 5 ArcGIS calls, not 15', async () => {
  const created = await create(5);
  fake.reset();
  moveTo(created[0].expiresAt - LEAD_MS + 1000);

  await tickAll();
  await tickAll();

  expect(fake.calls).toHaveLength(5);
  expect(new Set(fake.calls.map((call) => call.params.client_id)).size).toBe(5);
});

test('runs at most 4 renewals at once per instance; the rest wait for a free slot', async () => {
  const created = await create(6);
  fake.reset();
  moveTo(created[0].expiresAt - LEAD_MS + 1000);
  const release = fake.hold();
  const one = instances[0];

  await scheduler(one).tick();
  await fake.waitForCalls(4);
  await scheduler(one).tick(); // no free slot: starts nothing
  expect(scheduler(one).inFlight).toBe(4);
  expect(await one.metrics.registry.getSingleMetricAsString('mtp_renewals_in_flight')).toMatch(/^mtp_renewals_in_flight 4$/m);
  expect(fake.calls).toHaveLength(4);

  release();
  await scheduler(one).idle();
  await tickAll([one]);
  expect(fake.calls).toHaveLength(6);
});

test('after a failed renewal every instance waits out the pause (1.5 s here) before the next try', async () => {
  const [created] = await create();
  fake.reset();
  moveTo(created.expiresAt - LEAD_MS);
  fake.mode = 'http-500';
  await tickAll([instances[0]]);
  const failedCalls = fake.calls.length;
  expect(failedCalls).toBeGreaterThanOrEqual(1);

  clock.advance(1499);
  await tickAll();
  expect(fake.calls).toHaveLength(failedCalls);

  fake.mode = 'ok';
  clock.advance(1);
  await tickAll();
  expect(fake.calls).toHaveLength(failedCalls + 1);
  const [row] = await db.query<{ refresh_error_at: unknown; refresh_failures: number }[]>(
    'SELECT refresh_error_at, refresh_failures FROM map_tokens WHERE id = ?',
    [created.id],
  );
  expect(row).toEqual({ refresh_error_at: null, refresh_failures: 0 });
});

test('finds what is due with one query on the renew_at index', async () => {
  await create(50);
  const [plan] = await db.query<{ key: string | null }[]>(
    'EXPLAIN SELECT id, environment FROM map_tokens WHERE renew_at <= ? ORDER BY renew_at LIMIT 8',
    [clock.now()],
  );
  expect(plan.key).toBe('map_tokens_renew_at');
});

test('while MySQL is away, it renews the tokens its instance holds and serves them; when MySQL is back the row catches up', async () => {
  const proxy = new TcpProxy('127.0.0.1', Number(new URL(mysqlTestUrl()).port || 3306));
  const port = await proxy.start();
  const url = new URL(db.url);
  url.port = String(port);
  const cut = createHarness({ mysqlUrl: url.toString(), arcgisOrigin: fake.url, clock, random: () => 0.5 });
  try {
    const [created] = await create();
    expect((await readToken(cut, created.id)).body.token).toBe(created.token); // now in its cache
    fake.reset();
    proxy.cut();

    moveTo(created.expiresAt - LEAD_MS);
    await tickAll([cut]);

    expect(fake.calls).toHaveLength(1);
    const served = await readToken(cut, created.id);
    expect(served.status).toBe(200);
    expect(served.body.token).not.toBe(created.token);

    proxy.restore();
    clock.advance(5000);
    await tickAll([cut]);
    // the token renewed during the outage was never stored: MySQL still has the old one, due, and renews it once
    expect(fake.calls.length).toBeLessThanOrEqual(2);
  } finally {
    proxy.restore();
    await cut.close();
    await proxy.stop();
  }
});

test('stop() ends the ticks and waits for the renewal in flight', async () => {
  const [created] = await create();
  fake.reset();
  moveTo(created.expiresAt - LEAD_MS);
  const release = fake.hold();
  const own = new RenewalScheduler(instances[1].store, instances[1].broker, clock, { debug() {}, error() {} } as never, {
    intervalMs: 10,
    concurrency: 1,
    startJitterMs: 0,
    idleWindowMs: null,
  });
  own.start();
  await fake.waitForCalls(1);

  let stopped = false;
  const stopping = own.stop().then(() => (stopped = true));
  await new Promise((resolve) => setImmediate(resolve));
  expect(stopped).toBe(false);
  release();
  await stopping;
  expect(own.inFlight).toBe(0);
  expect(fake.calls).toHaveLength(1);
});

test('services.drain(), what the server awaits on SIGTERM, stops the scheduler and waits for the renewal in flight, whose token is stored', async () => {
  const [created] = await create();
  fake.reset();
  moveTo(created.expiresAt - LEAD_MS);
  const release = fake.hold();
  const leaving = open();
  await scheduler(leaving).tick();
  await fake.waitForCalls(1);

  let drained = false;
  const draining = leaving.services.drain().then(() => (drained = true));
  await new Promise((resolve) => setImmediate(resolve));
  expect(drained).toBe(false);
  release();
  await draining;
  expect(scheduler(leaving).inFlight).toBe(0);
  expect(fake.calls).toHaveLength(1);

  const served = await readToken(instances[1], created.id);
  expect(served.status).toBe(200);
  expect(served.body.token).not.toBe(created.token);
  expect(fake.calls).toHaveLength(1);
});
