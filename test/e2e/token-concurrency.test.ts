import type * as http from 'node:http';
import request from 'supertest';
import { useInstancesOnOneDatabase } from '../support/listening-instance';

/**
 * SPEC "one token lifetime costs one call to ArcGIS per map token": concurrent refreshes merge in the
 * process and, across instances sharing one MySQL database, through GET_LOCK and a re-read.
 */

const ENV = 'env1';
const SECRET = 'sekret-concurrency-Lm4pQ8';
const READS = 100;

/** Three "instances": the real app on its own cache and pool each, listening, sharing the database and the clock. */
const fleet = useInstancesOnOneDatabase(ENV, 3);
const { fake, clock, instances } = fleet;

function readToken(server: http.Server, id: number) {
  return request(server).get(`/api/v1/map-tokens/${id}/token`).set('atr-environment-id', ENV).set('atr-subscription-key', fleet.reader);
}

/** mtp_token_refreshes_total{outcome} summed over every instance. */
async function refreshes(outcome: string): Promise<number> {
  let sum = 0;
  for (const { harness } of instances) {
    const metric = await harness.metrics.refreshes.get();
    for (const value of metric.values) if (value.labels.outcome === outcome) sum += value.value;
  }
  return sum;
}

/** Creates an agol map token through the first instance and lets it expire. */
async function expiredToken(): Promise<{ id: number; token: string }> {
  const res = await request(instances[0].server)
    .put('/api/v1/admin/map-tokens')
    .set('atr-environment-id', ENV)
    .set('atr-subscription-key', fleet.admin)
    .send([
      { organization_ID: 1, authType: 'agol', authKey: 'app-concurrency', authToken: SECRET, authTimeout: 120, authURL: fake.tokenUrl },
    ]);
  expect(res.status).toBe(200);
  const [resource] = res.body.result;
  clock.advance(Date.parse(resource.token_Expire_Date) - clock.now() + 1000);
  return { id: resource.mapTokenID, token: resource.token };
}

/** Resolves once `count` sessions of this database wait in GET_LOCK. */
async function waitForLockWaiters(count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [row] = await fleet.db.query<{ n: number }[]>(
      "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND INFO LIKE 'SELECT GET_LOCK%'",
      [fleet.db.name],
    );
    if (Number(row.n) >= count) return;
    if (Date.now() > deadline) throw new Error(`expected ${count} sessions waiting for the lock, saw ${row.n}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('100 concurrent reads of an expired token on one instance cost exactly one ArcGIS call and all get the same new token', async () => {
  const old = await expiredToken();
  fake.reset();
  fake.delayMs = 100; // the refresh stays in flight while the reads pile up

  const answers = await Promise.all(Array.from({ length: READS }, () => readToken(instances[0].server, old.id)));

  expect(answers.map((res) => res.status)).toEqual(Array(READS).fill(200));
  const tokens = new Set(answers.map((res) => res.body.token));
  expect(tokens.size).toBe(1);
  expect(tokens.has(old.token)).toBe(false);
  expect(fake.calls).toHaveLength(1);
});

test('three instances with separate caches, 100 concurrent reads each, cost exactly one ArcGIS call in total', async () => {
  const old = await expiredToken();
  fake.reset();
  fake.delayMs = 100;
  const fetchedBefore = await refreshes('fetched');
  const reusedBefore = await refreshes('reused');
  const releaseArcgis = fake.hold();

  const pending = Promise.all(instances.flatMap(({ server }) => Array.from({ length: READS }, () => readToken(server, old.id))));
  // one instance asks ArcGIS (held); the two others wait for its lock: only then does ArcGIS answer
  await fake.waitForCalls(1);
  await waitForLockWaiters(2);
  releaseArcgis();
  const answers = await pending;

  expect(answers).toHaveLength(3 * READS);
  expect(answers.map((res) => res.status)).toEqual(Array(3 * READS).fill(200));
  const tokens = new Set(answers.map((res) => res.body.token));
  expect(tokens.size).toBe(1);
  expect(tokens.has(old.token)).toBe(false);
  expect(fake.calls).toHaveLength(1);
  // one instance fetched; the two others found its token under the lock
  expect((await refreshes('fetched')) - fetchedBefore).toBe(1);
  expect((await refreshes('reused')) - reusedBefore).toBe(2);
});

test('after a failed refresh a read inside the retry pause answers 502 at once with Retry-After, and the first read after it tries again', async () => {
  const old = await expiredToken();
  fake.reset();
  fake.failNext('http-500', 2); // the client retries a 5xx once: both attempts fail

  const failed = await readToken(instances[0].server, old.id);
  expect(failed.status).toBe(502);
  expect(failed.body.code).toBe('BadGateway');
  expect(fake.calls).toHaveLength(2);

  const paused = await readToken(instances[0].server, old.id);
  expect(paused.status).toBe(502);
  expect(Number(paused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(Number(paused.headers['retry-after'])).toBeLessThanOrEqual(2);
  expect(fake.calls).toHaveLength(2);

  clock.advance(Number(paused.headers['retry-after']) * 1000);
  const next = await readToken(instances[0].server, old.id);
  expect(next.status).toBe(200);
  expect(next.body.token).not.toBe(old.token);
  expect(next.body.expires_in).toBe(7200);
  expect(fake.calls).toHaveLength(3);
});
