import request from 'supertest';
import { StoreUnavailableError } from '../../src/errors';
import { type DatabaseAndArcgis, useDatabaseAndArcgis } from '../support/database-and-arcgis';
import { createHarness, type Harness, TEST_ENCRYPTION_KEY, TEST_SIGNING_KEY } from '../support/harness';
import { startServer } from '../support/processes';
import { createTestDatabase } from '../support/test-database';

// one test starts a server process: generous for a busy machine
jest.setTimeout(60_000);

const ENV = 'ops-env';
const staticItem = { organization_ID: 1, authType: 'static', token: 'ops-static-token' };

let h: Harness;
let admin: string;

beforeEach(async () => {
  h = createHarness();
  admin = await h.key(ENV, 'admin');
});
afterEach(() => h.close());

const put = (body: unknown) =>
  request(h.app)
    .put('/api/v1/admin/map-tokens')
    .set('atr-environment-id', ENV)
    .set('atr-subscription-key', admin)
    .set('atr-request-source', 'ops-script')
    .send(body as object);

/** The service as a process, on the database of `setup` and allowed to call its ArcGIS stand-in. */
const serverOn = (setup: DatabaseAndArcgis) =>
  startServer({
    MYSQL_URL: setup.db.url,
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    ACCESS_TOKEN_SIGNING_KEY: TEST_SIGNING_KEY,
    AUTH_URL_ALLOWLIST: setup.fake.url,
  });

describe('request logs', () => {
  it('writes one JSON line per request with method, route, status, duration, environment, actor and the request id, and no secret', async () => {
    const res = await put([staticItem]).set('x-request-id', 'log-check-1');
    const lines = h.logs.filter((line) => line.requestId === 'log-check-1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      method: 'PUT',
      route: '/api/v1/admin/map-tokens',
      status: 200,
      environment: ENV,
      actor: 'ops-script',
      requestId: res.headers['x-request-id'],
    });
    expect(typeof lines[0].durationMs).toBe('number');
    expect(h.logText()).not.toContain(admin);
    expect(h.logText()).not.toContain('ops-static-token');
  });

  it('logs the route pattern, never the id in the path', async () => {
    await request(h.app).get('/api/v1/admin/map-tokens/12345').set('atr-environment-id', ENV).set('atr-subscription-key', admin);
    const line = h.logs.find((l) => l.method === 'GET' && l.status === 404)!;
    expect(line.route).toBe('/api/v1/admin/map-tokens/:mapTokenID');
  });

  it('logs the full requested path (without the query) on success and on error alike', async () => {
    const created = await put([staticItem]).expect(200);
    const id = created.body.result[0].mapTokenID;
    const reader = await h.key(ENV, 'reader');
    await request(h.app)
      .get(`/api/v1/map-tokens/${id}/token?x=1`)
      .set('atr-environment-id', ENV)
      .set('atr-subscription-key', reader)
      .set('x-request-id', 'path-ok')
      .expect(200);
    await request(h.app)
      .get('/api/v1/map-tokens/99999/token')
      .set('atr-environment-id', ENV)
      .set('atr-subscription-key', reader)
      .set('x-request-id', 'path-404')
      .expect(404);
    await request(h.app)
      .get('/api/v1/admin/map-tokens?limit=2')
      .set('atr-environment-id', ENV)
      .set('atr-subscription-key', admin)
      .set('x-request-id', 'path-list')
      .expect(200);
    const logged = (requestId: string) => h.logs.find((line) => line.requestId === requestId)!;
    expect(logged('path-ok')).toMatchObject({
      path: `/api/v1/map-tokens/${id}/token`,
      route: '/api/v1/map-tokens/:mapTokenID/token',
      status: 200,
    });
    expect(logged('path-404')).toMatchObject({ path: '/api/v1/map-tokens/99999/token', status: 404 });
    expect(logged('path-list')).toMatchObject({ path: '/api/v1/admin/map-tokens', status: 200 });
  });

  it('logs a 5xx at error level with its cause, and answers without the cause', async () => {
    h.store.mapTokens.list = async () => {
      throw new Error('driver exploded: secret-looking detail');
    };
    const res = await request(h.app).get('/api/v1/admin/map-tokens').set('atr-environment-id', ENV).set('atr-subscription-key', admin);
    expect(res.status).toBe(500);
    expect(res.body.code).toBe('InternalError');
    expect(JSON.stringify(res.body)).not.toContain('exploded');
    const errors = h.logs.filter((l) => l.level === 'error');
    expect(errors.some((l) => JSON.stringify(l).includes('driver exploded'))).toBe(true);
    expect(errors.some((l) => l.status === 500 && l.requestId === res.body.requestId)).toBe(true);
  });

  it('writes one msg per line, with the cause of a 5xx in a field of its own', async () => {
    h.store.mapTokens.list = async () => {
      throw new StoreUnavailableError();
    };
    const res = await request(h.app).get('/api/v1/admin/map-tokens').set('atr-environment-id', ENV).set('atr-subscription-key', admin);
    expect(res.status).toBe(503);
    const lines = h.logText().split('\n').filter(Boolean);
    expect(lines.filter((line) => line.split('"msg":').length !== 2)).toEqual([]);
    const failed = h.logs.filter((line) => line.requestId === res.body.requestId && line.level === 'error');
    expect(failed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ msg: 'request failed', status: 503, code: 'ServiceUnavailable', reason: res.body.msg }),
        expect.objectContaining({ msg: 'GET /api/v1/admin/map-tokens 503', status: 503 }),
      ]),
    );
  });

  it('honours LOG_LEVEL', async () => {
    const quiet = createHarness({ env: { LOG_LEVEL: 'warn' } });
    const key = await quiet.key(ENV, 'admin');
    await request(quiet.app).get('/api/v1/admin/map-tokens').set('atr-environment-id', ENV).set('atr-subscription-key', key);
    expect(quiet.logs).toHaveLength(0);
    await quiet.close();
  });
});

describe('health, readiness and metrics', () => {
  it('answers /healthz while the process runs and /readyz while the store answers', async () => {
    expect((await request(h.app).get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await request(h.app).get('/readyz')).status).toBe(200);
    h.store.ping = async () => {
      throw new StoreUnavailableError();
    };
    const started = Date.now();
    const down = await request(h.app).get('/readyz');
    expect(down.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('answers /readyz 503 within its bound when the store hangs', async () => {
    h.store.ping = () => new Promise(() => undefined);
    const started = Date.now();
    expect((await request(h.app).get('/readyz')).status).toBe(503);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('exports request, cache and process metrics with bounded labels', async () => {
    const created = await put([staticItem]);
    const id = created.body.result[0].mapTokenID;
    const reader = await h.key(ENV, 'reader');
    for (let i = 0; i < 3; i++)
      await request(h.app).get(`/api/v1/map-tokens/${id}/token`).set('atr-environment-id', ENV).set('atr-subscription-key', reader);
    const text = (await request(h.app).get('/metrics')).text;
    expect(text).toMatch(/mtp_http_requests_total\{route="\/api\/v1\/map-tokens\/:mapTokenID\/token",method="GET",status="200"\} 3/);
    expect(text).toMatch(/mtp_http_request_duration_seconds_bucket\{le="0.005",route="\/api\/v1\/admin\/map-tokens",method="PUT"\}/);
    expect(text).toMatch(/mtp_token_cache_total\{result="hit"\} [1-9]/);
    for (const name of [
      'mtp_arcgis_calls_total',
      'mtp_token_refreshes_total',
      'mtp_stale_token_fallbacks_total',
      'mtp_stale_tokens_served_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(text).toContain(name);
    }
    // the old name of the stale fallbacks counter stays one release, marked deprecated
    expect(text).toMatch(
      /^# HELP mtp_stale_tokens_served_total Deprecated, removed in the next release: use mtp_stale_token_fallbacks_total/m,
    );
    expect(text).not.toContain(`/${id}/`);
    expect(text).not.toContain(reader);
  });
});

describe('database pool metrics', () => {
  it('report the MySQL pool connections by state', async () => {
    const db = await createTestDatabase();
    const onMysql = createHarness({ mysqlUrl: db.url });
    try {
      const key = await onMysql.key(ENV, 'admin');
      await request(onMysql.app).get('/api/v1/admin/map-tokens').set('atr-environment-id', ENV).set('atr-subscription-key', key);
      const text = (await request(onMysql.app).get('/metrics')).text;
      expect(text).toMatch(/mtp_db_pool_connections\{state="idle"\} [1-9]/);
      expect(text).toMatch(/mtp_db_pool_connections\{state="in_use"\} \d/);
      expect(text).toMatch(/mtp_db_pool_connections\{state="waiting"\} 0/);
    } finally {
      await onMysql.close();
      await db.drop();
    }
  });
});

describe('methods a route lacks', () => {
  it.each([
    ['POST', '/api/v1/admin/map-tokens', 'GET, PUT'],
    ['PATCH', '/api/v1/admin/map-tokens/1', 'GET, DELETE'],
    ['PUT', '/api/v1/map-tokens/1/token', 'GET, POST, OPTIONS'],
    ['GET', '/api/v1/auth/token', 'POST'],
    ['PUT', '/api/v1/auth/clientcredentials', 'GET, POST, DELETE'],
    ['POST', '/healthz', 'GET'],
    ['POST', '/readyz', 'GET'],
    ['DELETE', '/metrics', 'GET'],
    ['POST', '/api/v1/openapi.json', 'GET'],
    ['POST', '/docs', 'GET'],
  ])('%s %s answers 405 with Allow: %s', async (method, path, allow) => {
    const res = await request(h.app)
      [method.toLowerCase() as 'post'](path)
      .set('atr-environment-id', ENV)
      .set('atr-subscription-key', admin);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe(allow);
    expect(res.body).toMatchObject({ code: 'MethodNotAllowed', requestId: res.headers['x-request-id'] });
  });
});

describe('security headers', () => {
  it('sends helmet headers on every answer and no x-powered-by', async () => {
    for (const path of ['/healthz', '/api/v1/admin/map-tokens', '/nowhere']) {
      const res = await request(h.app).get(path).set('atr-environment-id', ENV).set('atr-subscription-key', admin);
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers['strict-transport-security']).toBeDefined();
    }
  });
});

describe('graceful shutdown', () => {
  const setup = useDatabaseAndArcgis();

  it('on SIGTERM finishes the request in flight, then exits 0', async () => {
    const server = await serverOn(setup);
    const writer = createHarness({ mysqlUrl: setup.db.url });
    const key = await writer.key(ENV, 'admin');
    await writer.close();
    setup.fake.delayMs = 1500;
    const inFlight = fetch(`${server.url}/api/v1/admin/map-tokens`, {
      method: 'PUT',
      headers: { 'atr-environment-id': ENV, 'atr-subscription-key': key, 'content-type': 'application/json' },
      body: JSON.stringify([{ organization_ID: 1, authType: 'agol', authKey: 'id', authToken: 'secret', authURL: setup.fake.tokenUrl }]),
    });
    await setup.fake.waitForCalls(1); // the PUT is in flight, waiting for ArcGIS
    expect(setup.fake.calls).toHaveLength(1);
    const exited = server.stop('SIGTERM');
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await exited).toBe(0);
    expect(server.output()).toContain('shutting down');
  });
});

describe('log output of the process', () => {
  const setup = useDatabaseAndArcgis();

  /** Resolves once `text` is in the server's output; fails after `withinMs`. */
  async function waitForOutput(server: { output(): string }, text: string, withinMs: number): Promise<void> {
    const until = Date.now() + withinMs;
    while (!server.output().includes(text)) {
      if (Date.now() > until) throw new Error(`"${text}" not in the output after ${withinMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('writes request lines asynchronously, yet a quiet moment shows them at once and exit writes the rest', async () => {
    const server = await serverOn(setup);
    try {
      expect((await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'quiet-moment-line' } })).status).toBe(200);
      await waitForOutput(server, 'quiet-moment-line', 10_000);
      expect((await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'line-before-exit' } })).status).toBe(200);
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
    expect(server.output()).toContain('line-before-exit');
    expect(server.output()).toContain('"msg":"stopped"');
  });
});
