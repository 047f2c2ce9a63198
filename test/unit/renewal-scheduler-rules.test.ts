import { StoreUnavailableError } from '../../src/errors';
import { RenewalScheduler } from '../../src/services/renewal-scheduler';
import { TokenBroker } from '../../src/services/token-broker';
import type { DueMapToken } from '../../src/stores/store';
import { brokerParts, type BrokerParts, count, ENV } from '../support/broker-fixture';
import { useFakeArcgis } from '../support/use-fake-arcgis';

/**
 * One tick of the scheduler (REFRESH_AHEAD=all): what it asks the store for, how many renewals it runs at
 * once, what it skips, and what it does while the store is away. The embedded store, the local ArcGIS
 * stand-in and a fake clock; ticks are called directly (their timing is pinned in renewal-scheduler-timing).
 */

const HOUR_MS = 3600_000;
const fake = useFakeArcgis();
let p: BrokerParts;
let broker: TokenBroker;
let scheduler: RenewalScheduler;
let queries: { now: number; limit: number; usedSince?: number }[];
let dueAnswer: ((now: number, limit: number) => Promise<DueMapToken[]>) | null;

beforeEach(() => {
  p = brokerParts(fake, { logLevel: 'debug' });
  broker = new TokenBroker(p.store, p.arcgis, p.box, p.clock, p.logger, p.metrics, {
    cacheTtlMs: 5000,
    cacheMaxEntries: 100,
    upstreamTimeoutMs: 1000,
    random: () => 0,
  });
  scheduler = new RenewalScheduler(p.store, broker, p.clock, p.logger, {
    intervalMs: 1000,
    concurrency: 4,
    startJitterMs: 0,
    idleWindowMs: null,
    random: () => 0,
  });
  queries = [];
  dueAnswer = null;
  const due = p.store.mapTokens.due.bind(p.store.mapTokens);
  p.store.mapTokens.due = (now, limit, usedSince) => {
    queries.push({ now, limit, ...(usedSince === undefined ? {} : { usedSince }) });
    return dueAnswer ? dueAnswer(now, limit) : due(now, limit, usedSince);
  };
});

afterEach(async () => {
  await scheduler.stop();
});

test('runs at most `concurrency` renewals at once, asks for nothing while full, and the rest on a later tick', async () => {
  for (let i = 0; i < 6; i += 1) await p.create();
  const release = fake.hold();
  await scheduler.tick();
  // free slots, plus a slot's worth more to start as slots free
  expect(queries).toEqual([{ now: p.clock.now(), limit: 8 }]);
  expect(scheduler.inFlight).toBe(4);
  await fake.waitForCalls(4);

  await scheduler.tick();
  expect(queries).toHaveLength(1);
  release();
  await scheduler.idle();
  expect(scheduler.inFlight).toBe(0);

  // the two left were started as slots freed, before any later tick
  expect(fake.calls).toHaveLength(6);
  expect(queries).toHaveLength(1);
  await scheduler.tick();
  await scheduler.idle();
  expect(queries.map((query) => query.limit)).toEqual([8, 8]);
  expect(fake.calls).toHaveLength(6);
});

test('rows it is renewing are asked for again (limit: free slots plus those) and skipped', async () => {
  await p.create();
  await p.create();
  const release = fake.hold();
  await scheduler.tick();
  expect(scheduler.inFlight).toBe(2);
  await scheduler.tick();
  // free slots (2) + a slot's worth (4) + the two in flight
  expect(queries.map((query) => query.limit)).toEqual([8, 8]);
  expect(scheduler.inFlight).toBe(2);
  // not even handed to the broker again (which would merge them)
  expect(await count(p.metrics.refreshes, { outcome: 'merged' })).toBe(0);
  release();
  await scheduler.idle();
  expect(fake.calls).toHaveLength(2);
});

test('takes rows in the order the store gives them, stops at the limit of slots and starts the next as one frees', async () => {
  dueAnswer = async () => [1, 2, 3, 4, 5].map((id) => ({ id, environment: ENV }));
  for (let i = 0; i < 5; i += 1) await p.create();
  const release = fake.hold();
  await scheduler.tick();
  expect(scheduler.inFlight).toBe(4);
  await fake.waitForCalls(4);
  expect(fake.calls.map((call) => call.params.client_id)).toHaveLength(4);
  release();
  await scheduler.idle();
  expect(fake.calls).toHaveLength(5);
  // the store said everything due fitted: no query before the next tick
  expect(queries).toHaveLength(1);
});

test('while the store is away it renews the due tokens this process holds', async () => {
  const row = await p.create({}, p.sealed('held', HOUR_MS));
  const quiet = await p.create({}, p.sealed('quiet', 2 * HOUR_MS));
  await broker.fresh({ environment: ENV, organizationId: null }, row.id);
  await broker.fresh({ environment: ENV, organizationId: null }, quiet.id);
  p.clock.advance(row.renewAt! - p.clock.now());
  dueAnswer = async () => {
    throw new StoreUnavailableError();
  };
  p.store.down = true;
  await scheduler.tick();
  await scheduler.idle();
  expect(fake.calls).toHaveLength(1);
  await expect(broker.fresh({ environment: ENV, organizationId: null }, row.id)).resolves.toMatchObject({
    token: expect.stringMatching(/^fake-/),
  });
  await expect(broker.fresh({ environment: ENV, organizationId: null }, quiet.id)).resolves.toMatchObject({ token: 'quiet' });
});

test('any other failure of the due query fails the tick', async () => {
  dueAnswer = async () => {
    throw new Error('bad query');
  };
  await expect(scheduler.tick()).rejects.toThrow('bad query');
});

test('a row deleted since the query is passed over quietly; a renewal that could not run is logged at debug level', async () => {
  dueAnswer = async () => [{ id: 999, environment: ENV }];
  await scheduler.tick();
  await scheduler.idle();
  expect(p.logs.filter((line) => line.msg === 'scheduled renewal did not run')).toHaveLength(0);

  const row = await p.create();
  dueAnswer = async () => [{ id: row.id, environment: ENV }];
  p.store.down = true;
  await scheduler.tick();
  await scheduler.idle();
  expect(p.logs.filter((line) => line.msg === 'scheduled renewal did not run')).toEqual([
    expect.objectContaining({ level: 'debug', mapTokenID: row.id, environment: ENV }),
  ]);
  expect(scheduler.inFlight).toBe(0);
});

test('idle() waits for the renewals in flight and stop() too', async () => {
  await p.create();
  const release = fake.hold();
  await scheduler.tick();
  let idle = false;
  const waiting = scheduler.idle().then(() => (idle = true));
  await fake.waitForCalls(1);
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(idle).toBe(false);
  release();
  await waiting;
  expect(scheduler.inFlight).toBe(0);
});

test('more due than one query returns: as the queue runs dry it asks again, before any later tick, skipping rows it started', async () => {
  for (let i = 0; i < 12; i += 1) await p.create();
  const release = fake.hold();
  await scheduler.tick();
  expect(queries.map((query) => query.limit)).toEqual([8]);
  await fake.waitForCalls(4);
  release();
  await scheduler.idle();
  // the first query returned its whole limit, so more may have been due: a second query (4 free slots,
  // 4 for the next ones, the 8 started since the tick) fetched the last four
  expect(queries.map((query) => query.limit)).toEqual([8, 16]);
  expect(fake.calls).toHaveLength(12);
  expect(await count(p.metrics.refreshes, { outcome: 'fetched' })).toBe(12);
});

test('a due query made as the queue runs dry that fails is logged at error level; the next tick asks again', async () => {
  for (let i = 0; i < 12; i += 1) await p.create();
  const release = fake.hold();
  await scheduler.tick();
  await fake.waitForCalls(4);
  dueAnswer = async () => {
    throw new Error('bad query');
  };
  release();
  await scheduler.idle();
  expect(queries.map((query) => query.limit)).toEqual([8, 16]);
  expect(fake.calls).toHaveLength(8);
  expect(p.logs.filter((line) => line.msg === 'renewal scheduler query failed')).toEqual([
    expect.objectContaining({ level: 'error', err: expect.objectContaining({ message: 'bad query' }) }),
  ]);

  dueAnswer = null;
  await scheduler.tick();
  await scheduler.idle();
  expect(fake.calls).toHaveLength(12);
});

test('stop() while renewals run: the queued rows are dropped and freed slots start nothing, no query either', async () => {
  for (let i = 0; i < 12; i += 1) await p.create();
  const release = fake.hold();
  await scheduler.tick();
  await fake.waitForCalls(4);
  const stopped = scheduler.stop();
  release();
  await stopped;
  expect(fake.calls).toHaveLength(4);
  expect(queries).toHaveLength(1);
  expect(scheduler.inFlight).toBe(0);
});

describe('REFRESH_AHEAD=in-use: only tokens used within the idle window are renewed ahead', () => {
  const WINDOW_MS = 2 * HOUR_MS;
  const inUse = () =>
    new RenewalScheduler(p.store, broker, p.clock, p.logger, {
      intervalMs: 1000,
      concurrency: 4,
      startJitterMs: 0,
      idleWindowMs: WINDOW_MS,
      random: () => 0,
    });

  test('usedSince() is the idle window back from now; with REFRESH_AHEAD=all there is no bound', () => {
    expect(inUse().usedSince(10 * HOUR_MS)).toBe(8 * HOUR_MS);
    expect(scheduler.usedSince(10 * HOUR_MS)).toBeUndefined();
  });

  test('the due query carries the window; a token last used just inside it is renewed, one used a millisecond before it is not', async () => {
    // two tokens due from the start (none fetched yet), written (so used) a millisecond apart
    const idle = await p.create();
    p.clock.advance(1);
    const used = await p.create();
    p.clock.advance(WINDOW_MS);
    const windowed = inUse();
    await windowed.tick();
    await windowed.idle();
    expect(queries).toEqual([{ now: p.clock.now(), limit: 8, usedSince: used.lastUsedAt }]);
    expect(fake.calls).toHaveLength(1);
    expect((await p.row(used.id)).token).not.toBeNull();
    expect((await p.row(idle.id)).token).toBeNull();
    // read once, the idle one is in use again and renewed on the next tick
    await p.store.mapTokens.addUsage([{ id: idle.id, reads: 1, lastReadAt: p.clock.now() }]);
    await windowed.tick();
    await windowed.idle();
    expect(fake.calls).toHaveLength(2);
    await windowed.stop();
  });
});

test('stop() while the due query is out: what it returns after stop() starts nothing', async () => {
  for (let i = 0; i < 6; i += 1) await p.create();
  let answer!: (due: DueMapToken[]) => void;
  const asked = new Promise<void>((resolve) => {
    dueAnswer = () =>
      new Promise((answered) => {
        answer = answered;
        resolve();
      });
  });
  const ticking = scheduler.tick();
  await asked;
  const stopped = scheduler.stop();
  answer([1, 2, 3, 4, 5, 6].map((id) => ({ id, environment: ENV })));
  await ticking;
  await stopped;
  expect(scheduler.inFlight).toBe(0);
  expect(fake.calls).toHaveLength(0);
});

test('start() after stop() renews again, slots refilled as they free', async () => {
  await scheduler.stop();
  const restarted = new RenewalScheduler(p.store, broker, p.clock, p.logger, {
    intervalMs: 60_000,
    concurrency: 4,
    startJitterMs: 0,
    idleWindowMs: null,
    random: () => 0,
  });
  scheduler = restarted;
  restarted.start();
  await restarted.stop();
  for (let i = 0; i < 6; i += 1) await p.create();
  const release = fake.hold();
  // the first tick of a start comes at once (no jitter); the next one not for a minute
  restarted.start();
  await fake.waitForCalls(4);
  release();
  await fake.waitForCalls(6);
  await restarted.idle();
  expect(queries).toHaveLength(1);
});
