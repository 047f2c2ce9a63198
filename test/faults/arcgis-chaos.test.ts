/**
 * @jest-environment ./test/support/host-process-environment.ts
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createMetrics } from '../../src/metrics';
import { createArcgisClient, createServices, createTokenBroker, type Services } from '../../src/services/services';
import type { TokenBroker } from '../../src/services/token-broker';
import { createMysqlStore } from '../../src/stores/mysql/mysql-store';
import { FAKE_ARCGIS_MODES, FakeArcgis, type FakeArcgisMode } from '../support/fake-arcgis';
import { FakeClock } from '../support/fake-clock';
import { TEST_ENCRYPTION_KEY, TEST_SIGNING_KEY } from '../support/harness';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { captureLogs } from '../support/captured-logs';

/**
 * SPEC "Talking to ArcGIS" under load: ArcGIS fails in every way the stand-in can (error bodies, 5xx,
 * HTML, bad JSON, hangs, resets, redirects, huge bodies, slowness) while token reads, admin reads and
 * PUTs arrive concurrently. No answer is a 500, no promise rejection goes unhandled, nothing stays in
 * flight afterwards, and five rounds of it do not make the heap grow.
 *
 * The app is built here as the harness builds it, but with a log sink that only counts lines, so that
 * the test itself does not hold on to memory it would then measure.
 */

const ENV = 'chaos';
const READ_TOKENS = 20;
const WRITE_TOKENS = 6;
const ROUNDS = 5;
// long enough for a working ArcGIS stand-in to answer 30 concurrent calls on a busy machine, shorter than its "slow" mode (1 s)
const UPSTREAM_TIMEOUT_MS = 800;
const LIFETIME_SECONDS = 7200;
const HEAP_GROWTH_LIMIT = 30 * 1024 * 1024;
const READ_STATUSES = [200, 502, 504];
const WRITE_STATUSES = [200, 400, 502, 504];

const fake = new FakeArcgis({ lifetimeSeconds: LIFETIME_SECONDS });
const clock = new FakeClock();
const hostProcess = (globalThis as unknown as { hostProcess: NodeJS.Process }).hostProcess;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
let logLines: string[] = [];

/** Log lines by level, and how many said "unexpected error". */
function logLevels(): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (name: string) => counts.set(name, (counts.get(name) ?? 0) + 1);
  for (const line of logLines) {
    add(String((JSON.parse(line) as { level?: string }).level));
    if (/unexpected error/.test(line)) add('unexpected');
  }
  return counts;
}
let db: TestDatabase;
let services: Services;
let broker: TokenBroker;
let server: http.Server;
let base: string;
let admin: string;
let reader: string;
let readIds: number[] = [];
let writeIds: number[] = [];
let sent = 0;
/** status counts per mode and kind of request, for the report at the end. */
const seen = new Map<string, Map<number, number>>();

/** A function that runs a full garbage collection (V8 lets a running process turn the flag on). */
function forcedGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function heapAfterGc(gc: () => void): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function send(method: string, path: string, key: string, body?: unknown): Promise<number> {
  sent += 1;
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      'atr-environment-id': ENV,
      'atr-subscription-key': key,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

function agol(i: number, secret: string, id?: number) {
  return {
    ...(id === undefined ? {} : { mapTokenID: id }),
    organization_ID: 1 + (i % 3),
    authType: 'agol',
    authKey: `chaos-app-${i}`,
    authToken: secret,
    authTimeout: 120,
    authURL: fake.tokenUrl,
  };
}

function count(mode: string, kind: string, status: number): void {
  const key = `${mode} ${kind}`;
  const counts = seen.get(key) ?? new Map<number, number>();
  counts.set(status, (counts.get(status) ?? 0) + 1);
  seen.set(key, counts);
}

/**
 * Every token has expired; ArcGIS is in `mode`; token reads (several per token at once), admin reads
 * and PUTs that change credentials all arrive together.
 */
async function batch(mode: FakeArcgisMode, label: string): Promise<void> {
  fake.mode = mode;
  clock.advance((LIFETIME_SECONDS + 60) * 1000);
  const reads = [...readIds, ...readIds.slice(0, 10)].map(async (id) => {
    const status = await send('GET', `/api/v1/map-tokens/${id}/token`, reader);
    count(mode, 'token read', status);
    expect([`token read in ${mode}`, READ_STATUSES.includes(status)]).toEqual([`token read in ${mode}`, true]);
    return status;
  });
  const adminReads = readIds.slice(0, 4).map(async (id) => {
    const status = await send('GET', `/api/v1/admin/map-tokens/${id}`, admin);
    count(mode, 'admin read', status);
    expect([`admin read in ${mode}`, READ_STATUSES.includes(status)]).toEqual([`admin read in ${mode}`, true]);
    return status;
  });
  const writes = writeIds.map(async (id, i) => {
    const status = await send('PUT', '/api/v1/admin/map-tokens', admin, [agol(i, `secret-${label}-${i}`, id)]);
    count(mode, 'PUT', status);
    expect([`PUT in ${mode}`, WRITE_STATUSES.includes(status)]).toEqual([`PUT in ${mode}`, true]);
    return status;
  });
  const statuses = await Promise.all([...reads, ...adminReads, ...writes]);
  // after any failure, a working ArcGIS is used again at once: no failure is cached
  if (mode === 'ok') expect(statuses.filter((status) => status !== 200)).toEqual([]);
}

/** One round: every failure mode, in an order that changes per round, each followed by a working ArcGIS. */
async function round(n: number): Promise<void> {
  const modes = FAKE_ARCGIS_MODES.filter((mode) => mode !== 'ok');
  for (let i = 0; i < modes.length; i += 1) {
    const mode = modes[(i + n * 5) % modes.length];
    await batch(mode, `${n}-${mode}`);
    if (i % 3 === 2) await batch('ok', `${n}-ok-${i}`);
  }
  await batch('ok', `${n}-ok`);
}

function inFlight(): Record<string, number> {
  const sizes = (object: unknown, name: string) => ((object as Record<string, Map<unknown, unknown>>)[name] as Map<unknown, unknown>).size;
  const keyCache = (services.access as unknown as Record<string, unknown>).keys;
  return { broker: sizes(broker, 'loads') + sizes(broker, 'renewals'), keys: sizes(keyCache, 'inFlight') };
}

beforeAll(async () => {
  hostProcess.on('unhandledRejection', onUnhandled);
  db = await createTestDatabase();
  await fake.start();
  const config = loadConfig(
    {
      MYSQL_URL: db.url,
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      ACCESS_TOKEN_SIGNING_KEY: TEST_SIGNING_KEY,
      AUTH_URL_ALLOWLIST: `https://www.arcgis.com,${fake.url}`,
      UPSTREAM_TIMEOUT_MS: String(UPSTREAM_TIMEOUT_MS),
      CACHE_TTL_SECONDS: '5',
    },
    () => Buffer.alloc(32, 9),
  );
  const captured = captureLogs();
  const { logger } = captured;
  logLines = captured.lines;
  const metrics = createMetrics();
  const store = createMysqlStore(db.url, clock);
  const arcgis = createArcgisClient(config, clock, metrics);
  broker = createTokenBroker(config, store, { clock, logger, metrics, arcgis });
  services = createServices(config, store, { clock, logger, metrics, arcgis, broker });
  server = http.createServer(createApp({ config, services, logger, metrics }).listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  admin = (await services.access.createKey({ environment: ENV, role: 'admin', organizationId: null, description: 'chaos' }, 'test')).key;
  reader = (await services.access.createKey({ environment: ENV, role: 'reader', organizationId: null, description: 'chaos' }, 'test')).key;

  const created = async (items: unknown[]) => {
    const res = await fetch(`${base}/api/v1/admin/map-tokens`, {
      method: 'PUT',
      headers: { 'atr-environment-id': ENV, 'atr-subscription-key': admin, 'content-type': 'application/json' },
      body: JSON.stringify(items),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { result: { mapTokenID: number }[] }).result.map((r) => r.mapTokenID);
  };
  readIds = await created(Array.from({ length: READ_TOKENS }, (_, i) => agol(i, `read-secret-${i}`)));
  writeIds = await created(Array.from({ length: WRITE_TOKENS }, (_, i) => agol(100 + i, `write-secret-${i}`)));
}, 60_000);

afterAll(async () => {
  hostProcess.off('unhandledRejection', onUnhandled);
  await new Promise((resolve) => server?.close(resolve));
  await services?.store.close();
  await fake.stop();
  await db?.drop();
  const lines = [...seen.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, counts]) => `  ${key}: ${[...counts.entries()].map(([s, n]) => `${s}x${n}`).join(' ')}`);
  console.log(
    `ArcGIS chaos: ${sent} requests; statuses by mode:\n${lines.join('\n')}\nlog lines by level: ${JSON.stringify(Object.fromEntries(logLevels()))}`,
  );
});

test('ArcGIS failing every way under concurrent load: no 500, no unhandled rejection, nothing left in flight, no heap growth', async () => {
  const gc = forcedGc();
  const heap: number[] = [];
  const resources: number[] = [];
  for (let n = 1; n <= ROUNDS; n += 1) {
    await round(n);
    // hung ArcGIS calls end at UPSTREAM_TIMEOUT_MS; give their sockets a moment to close
    await new Promise((resolve) => setTimeout(resolve, UPSTREAM_TIMEOUT_MS * 2));
    expect(inFlight()).toEqual({ broker: 0, keys: 0 });
    heap.push(heapAfterGc(gc));
    resources.push(process.getActiveResourcesInfo().length);
  }
  console.log(
    `heap used after each round (MB): ${heap.map((b) => (b / 1048576).toFixed(1)).join(', ')}; active resources: ${resources.join(', ')}`,
  );

  expect(sent).toBeGreaterThanOrEqual(2000);
  expect(unhandled).toEqual([]);
  expect(logLevels().get('unexpected') ?? 0).toBe(0);
  expect(heap[ROUNDS - 1] - heap[1]).toBeLessThan(HEAP_GROWTH_LIMIT);
  // sockets and timers do not pile up either (a little slack for keep-alive sockets)
  expect(resources[ROUNDS - 1] - resources[1]).toBeLessThanOrEqual(10);
});
