import { FakeArcgis } from '../support/fake-arcgis';
import { createHarness, type Harness, TEST_ENCRYPTION_KEY, TEST_SIGNING_KEY } from '../support/harness';
import { type ServerProcess, startServer } from '../support/processes';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * SPEC "the whole body is one transaction: on any error nothing is stored", taken to its end: the
 * process is killed with SIGKILL while a 100-item PUT runs. After a restart the batch is there in
 * full or not at all, never in part, and the restarted service answers with what MySQL holds.
 */

const BATCH = 100;
/** Per ArcGIS call; the service fetches 8 at a time, so an agol batch fetches for about 400 ms before it commits. */
const ARCGIS_DELAY_MS = 30;

const fake = new FakeArcgis();
let db: TestDatabase;
let keys: Harness;
let server: ServerProcess;
/** What each kill found, for the report at the end. */
const outcomes: string[] = [];

function serverEnv(): Record<string, string> {
  return {
    MYSQL_URL: db.url,
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    ACCESS_TOKEN_SIGNING_KEY: TEST_SIGNING_KEY,
    AUTH_URL_ALLOWLIST: `https://www.arcgis.com,${fake.url}`,
    UPSTREAM_TIMEOUT_MS: '5000',
    LOG_LEVEL: 'info',
  };
}

const agolItems = () =>
  Array.from({ length: BATCH }, (_, i) => ({
    organization_ID: 1,
    authType: 'agol',
    authKey: `app-${i}`,
    authToken: `sekret-${i}`,
    authTimeout: 60,
    authURL: fake.tokenUrl,
  }));
const staticItems = () => Array.from({ length: BATCH }, (_, i) => ({ organization_ID: 1, authType: 'static', token: `static-token-${i}` }));

/** Sends the PUT; resolves with its status, or 'no answer' when the process died first. */
function put(environment: string, key: string, items: unknown[]): Promise<number | 'no answer'> {
  return fetch(`${server.url}/api/v1/admin/map-tokens`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'atr-environment-id': environment, 'atr-subscription-key': key },
    body: JSON.stringify(items),
  }).then(
    (res) => res.status,
    () => 'no answer' as const,
  );
}

async function counts(environment: string): Promise<{ rows: number; audited: number }> {
  const [row] = await db.query<{ n: number }[]>('SELECT COUNT(*) AS n FROM map_tokens WHERE environment = ?', [environment]);
  const [audit] = await db.query<{ n: number }[]>(
    "SELECT COUNT(*) AS n FROM audit_events WHERE environment = ? AND resource_type = 'map_token'",
    [environment],
  );
  return { rows: Number(row.n), audited: Number(audit.n) };
}

async function listTotal(environment: string, key: string): Promise<number> {
  const res = await fetch(`${server.url}/api/v1/admin/map-tokens?limit=1`, {
    headers: { 'atr-environment-id': environment, 'atr-subscription-key': key },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { total: number }).total;
}

/** How long an uninterrupted PUT of `items` takes here, in ms. */
async function baseline(label: string, items: unknown[]): Promise<number> {
  const environment = `base-${label}`;
  const key = await keys.key(environment);
  await put(environment, key, items); // the first PUT of a process warms its pool and caches
  const started = Date.now();
  expect(await put(environment, key, items)).toBe(200);
  return Date.now() - started;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once the stand-in has received `count` calls since `from`. */
async function arcgisCalls(from: number, count: number): Promise<void> {
  while (fake.calls.length - from < count) await new Promise((resolve) => setImmediate(resolve));
}

/** A fresh process answers its first requests slowly; warm it so that the timings below mean the same each time. */
async function startWarmServer(): Promise<void> {
  server = await startServer(serverEnv());
  const key = await keys.key('warm-up');
  expect(await put('warm-up', key, staticItems())).toBe(200);
  expect(await put('warm-up', key, agolItems().slice(0, 16))).toBe(200);
}

/**
 * PUTs `items`, SIGKILLs the process when `when` resolves, restarts it, and checks that all or nothing
 * was stored: in MySQL (rows and their audit events) and in the restarted service's answer.
 */
async function killDuring(label: string, items: unknown[], when: (callsBefore: number) => Promise<unknown>): Promise<void> {
  const environment = `kill-${label.replace(/[^A-Za-z0-9_-]+/g, '_')}`;
  const key = await keys.key(environment);
  const calls = fake.calls.length;
  const started = Date.now();
  const answer = put(environment, key, items);
  await when(calls);
  const killedAt = Date.now() - started;
  await server.stop('SIGKILL');
  const status = await answer;
  const fetched = fake.calls.length - calls;
  await startWarmServer();

  const { rows, audited } = await counts(environment);
  outcomes.push(`${label}: killed ${killedAt} ms in, after ${fetched} ArcGIS calls; answer ${status}, ${rows} rows stored`);
  expect([0, BATCH]).toContain(rows);
  expect(audited).toBe(rows);
  if (status === 200) expect(rows).toBe(BATCH);
  expect(await listTotal(environment, key)).toBe(rows);
}

beforeAll(async () => {
  db = await createTestDatabase();
  await fake.start();
  fake.delayMs = ARCGIS_DELAY_MS;
  keys = createHarness({ mysqlUrl: db.url });
  await startWarmServer();
}, 60_000);

afterAll(async () => {
  await server?.stop('SIGKILL');
  await keys?.close();
  await fake.stop();
  await db?.drop();
  console.log(`kill -9 during a ${BATCH}-item PUT:\n${outcomes.map((line) => `  ${line}`).join('\n')}`);
});

test('a process killed while an agol batch fetches its tokens or commits stores all of the batch or none of it', async () => {
  outcomes.push(`agol PUT uninterrupted: ${await baseline('agol', agolItems())} ms`);
  // while the tokens are fetched
  for (const ms of [100, 300]) await killDuring(`agol at ${ms} ms`, agolItems(), () => sleep(ms));
  // around the commit: the last answer from ArcGIS comes ARCGIS_DELAY_MS after its last call arrives
  for (const extra of [20, 30, 35, 40, 50, 65, 80, 120]) {
    await killDuring(`agol ${extra} ms after the last ArcGIS call`, agolItems(), async (callsBefore) => {
      await arcgisCalls(callsBefore, BATCH);
      await sleep(extra);
    });
  }
});

test('a process killed at any moment of a static batch (a commit with no ArcGIS call) stores all of it or none of it', async () => {
  const took = await baseline('static', staticItems());
  outcomes.push(`static PUT uninterrupted: ${took} ms`);
  // spread over the request: parse and validate, the inserts, the commit, the answer
  for (let i = 0; i < 12; i += 1) {
    const ms = Math.max(1, Math.round((took * 1.2 * i) / 11));
    await killDuring(`static at ${ms} ms`, staticItems(), () => sleep(ms));
  }
});
