import { ArcgisClient } from '../../src/arcgis/arcgis-client';
import { AuthUrlAllowlist } from '../../src/arcgis/auth-url-allowlist';
import { SecretBox } from '../../src/crypto/secret-box';
import { createMetrics } from '../../src/metrics';
import { RenewalScheduler } from '../../src/services/renewal-scheduler';
import { TokenBroker } from '../../src/services/token-broker';
import { createMemoryStore } from '../../src/stores/memory/memory-store';
import type { DueMapToken } from '../../src/stores/store';
import { FakeClock } from '../support/fake-clock';
import { captureLogs } from '../support/captured-logs';

/**
 * When the scheduler ticks: after a random start-up pause (so a fleet restarted together spreads out),
 * then every interval, and never after stop(). Jest's fake timers drive setTimeout; the store is the
 * embedded one, whose due() is counted.
 */

function scheduler(random: number, answer?: () => Promise<DueMapToken[]>) {
  const clock = new FakeClock();
  const store = createMemoryStore(clock);
  const queries: number[] = [];
  const due = store.mapTokens.due.bind(store.mapTokens);
  store.mapTokens.due = (now, limit) => {
    queries.push(now);
    return answer ? answer() : due(now, limit);
  };
  const { logger, logs } = captureLogs();
  const arcgis = new ArcgisClient({ timeoutMs: 1000, allowlist: AuthUrlAllowlist.parse('https://www.arcgis.com') });
  const broker = new TokenBroker(store, arcgis, new SecretBox([Buffer.alloc(32, 1)]), clock, logger, createMetrics(), {
    cacheTtlMs: 5000,
    cacheMaxEntries: 10,
    upstreamTimeoutMs: 1000,
  });
  const renewals = new RenewalScheduler(store, broker, clock, logger, {
    intervalMs: 1000,
    concurrency: 4,
    startJitterMs: 10_000,
    idleWindowMs: null,
    random: () => random,
  });
  return { renewals, queries, logs };
}

async function advance(ms: number): Promise<void> {
  await jest.advanceTimersByTimeAsync(ms);
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

test('the first tick waits the start-up jitter (random x startJitterMs), then one tick per interval', async () => {
  const { renewals, queries } = scheduler(0.5);
  renewals.start();

  await advance(4999);
  expect(queries).toHaveLength(0);
  await advance(1);
  expect(queries).toHaveLength(1);
  await advance(1000);
  expect(queries).toHaveLength(2);
  await advance(3000);
  expect(queries).toHaveLength(5);
  await renewals.stop();
});

test('instances drawing different numbers start apart: 0 starts at once, 0.99 almost 10 s later', async () => {
  const early = scheduler(0);
  const late = scheduler(0.99);
  early.renewals.start();
  late.renewals.start();

  await advance(0);
  expect(early.queries).toHaveLength(1);
  await advance(9899);
  expect(late.queries).toHaveLength(0);
  await advance(1);
  expect(late.queries).toHaveLength(1);
  await Promise.all([early.renewals.stop(), late.renewals.stop()]);
});

test('stop() ends the ticks, and start() twice schedules one loop', async () => {
  const { renewals, queries } = scheduler(0);
  renewals.start();
  renewals.start();
  await advance(2000);
  expect(queries).toHaveLength(3);

  await renewals.stop();
  await advance(10_000);
  expect(queries).toHaveLength(3);
});

test('stop() during a tick: no tick after it', async () => {
  let answer!: (rows: DueMapToken[]) => void;
  const { renewals, queries } = scheduler(0, () => new Promise<DueMapToken[]>((resolve) => (answer = resolve)));
  renewals.start();
  await advance(0);
  expect(queries).toHaveLength(1);
  const stopping = renewals.stop();
  answer([]);
  await stopping;
  await advance(10_000);
  expect(queries).toHaveLength(1);
});

test('a tick that fails is logged and the next one still comes', async () => {
  const { renewals, queries, logs } = scheduler(0, () => Promise.reject(new Error('bad query')));
  renewals.start();
  await advance(0);
  expect(logs).toEqual([
    expect.objectContaining({
      level: 'error',
      msg: 'renewal scheduler tick failed',
      err: expect.objectContaining({ message: 'bad query' }),
    }),
  ]);
  await advance(1000);
  expect(queries).toHaveLength(2);
  await renewals.stop();
});
