import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import helmet from 'helmet';
import request from 'supertest';
import { StoreUnavailableError } from '../../src/errors';
import { createHarness, type Harness } from '../support/harness';
import { createTestDatabase } from '../support/test-database';
import { putStaticToken } from '../support/map-token-requests';

/**
 * The token read's GET is answered in front of Express (src/http/fast-path.ts). Nothing the read
 * promises may differ from the router's answer: helmet's headers, CORS, Cache-Control, the error envelope,
 * the log line and the metrics. The router still answers the other spellings of the path (a trailing
 * slash), so each answer is compared with the router's answer to the same request.
 */

const ENV = 'hot-env';
const ALLOWED = 'https://maps.example.com';

let h: Harness;
let admin: string;
let reader: string;
let revoked: string;
let otherOrganization: string;
let accessToken: string;
let bound: string;
let id: number;

beforeEach(async () => {
  h = createHarness({ env: { CORS_ALLOWED_ORIGINS: ALLOWED } });
  admin = await h.key(ENV, 'admin');
  reader = await h.key(ENV, 'reader');
  otherOrganization = await h.key(ENV, 'reader', 2);
  bound = (await readerWith({ allowedOrigins: [ALLOWED], rateLimit: 1000 })).key;
  const toRevoke = await h.services.access.createKey({ environment: ENV, role: 'reader', organizationId: null, description: null }, 'test');
  await h.services.access.revokeKey(toRevoke.row.id, 'test');
  revoked = toRevoke.key;
  const { client, secret } = await h.services.clients.createClient(
    { environment: ENV, role: 'reader', organizationId: null, description: null },
    'test',
  );
  accessToken = (await h.services.clients.issueToken(client.clientId, secret, ENV)).access_token;
  id = await putStaticToken(h.app, ENV, admin, 'hot-static-token');
});
afterEach(() => h.close());

function readerWith(rules: { allowedOrigins?: string[]; rateLimit?: number }) {
  return h.services.access.createKey({ environment: ENV, role: 'reader', organizationId: null, description: null, ...rules }, 'test');
}

/** GET of the token read, through the hot path (`/token`) or through the router (`/token/`). */
function get(path: string, headers: Record<string, string>) {
  let req = request(h.app).get(path);
  for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
  return req;
}

/** Every header but Date, which moves with the clock. */
function headersOf(res: request.Response): Record<string, string> {
  const { date: _date, ...rest } = res.headers as Record<string, string>;
  return rest;
}

describe('the token read in front of Express', () => {
  it("never enters Express: its request keeps Node's own prototype, while other routes get Express's", async () => {
    const seen: http.IncomingMessage[] = [];
    const server = http.createServer(h.app);
    server.on('request', (req: http.IncomingMessage) => seen.push(req));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const read = await fetch(`${base}/api/v1/map-tokens/${id}/token`, {
        headers: { 'atr-environment-id': ENV, 'atr-subscription-key': reader },
      });
      expect(read.status).toBe(200);
      expect(Object.getPrototypeOf(seen[0])).toBe(http.IncomingMessage.prototype);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect(Object.getPrototypeOf(seen[1])).not.toBe(http.IncomingMessage.prototype);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('keeps a keep-alive connection open across reads of both entrances and reports: one connection serves them all', async () => {
    const server = http.createServer(h.app);
    let connections = 0;
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const send = (method: string, path: string, body?: string) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port: (server.address() as AddressInfo).port,
            method,
            path,
            agent,
            headers: { 'atr-environment-id': ENV, 'atr-subscription-key': reader, 'content-type': 'application/json' },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    try {
      const statuses = [];
      for (const path of [`/api/v1/map-tokens/${id}/token`, `/api/v1/map-tokens/${id}/token/`]) {
        statuses.push(await send('GET', path), await send('POST', path, '{"rejected":"x"}'), await send('GET', path));
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
      expect(connections).toBe(1);
    } finally {
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('sends exactly the security headers helmet sends on another route, and no x-powered-by', async () => {
    // what helmet() adds: a bare Express route with and without it
    const plain = express();
    plain.disable('x-powered-by');
    plain.get('/', (_req, res) => res.end());
    const helmeted = express();
    helmeted.disable('x-powered-by');
    helmeted.use(helmet());
    helmeted.get('/', (_req, res) => res.end());
    const without = headersOf(await request(plain).get('/'));
    const helmetHeaders = Object.entries(headersOf(await request(helmeted).get('/'))).filter(([name]) => !(name in without));
    expect(helmetHeaders.length).toBeGreaterThanOrEqual(10);

    const hot = await get(`/api/v1/map-tokens/${id}/token`, { 'atr-environment-id': ENV, 'atr-subscription-key': reader });
    const other = await request(h.app).get('/healthz');
    expect(hot.status).toBe(200);
    for (const [name, value] of helmetHeaders) {
      expect([name, hot.headers[name]]).toEqual([name, value]);
      expect([name, other.headers[name]]).toEqual([name, value]);
    }
    expect(hot.headers['x-powered-by']).toBeUndefined();
  });

  /** Every rule of SPEC the two entrances share, each a request sent to both. */
  const cases: [string, (path: string) => request.Test][] = [
    ['a reader key, no Origin', (path) => get(path, { 'atr-environment-id': ENV, 'atr-subscription-key': reader })],
    ['an admin key', (path) => get(path, { 'atr-environment-id': ENV, 'atr-subscription-key': admin })],
    ['an allowed Origin', (path) => get(path, { 'atr-environment-id': ENV, 'atr-subscription-key': reader, origin: ALLOWED })],
    [
      'an Origin not allowed',
      (path) => get(path, { 'atr-environment-id': ENV, 'atr-subscription-key': reader, origin: 'https://evil.example.com' }),
    ],
    [
      'atr-request-source and atr-partner-id',
      (path) =>
        get(path, { 'atr-environment-id': ENV, 'atr-subscription-key': reader, 'atr-request-source': 'floor-app', 'atr-partner-id': '' }),
    ],
    [
      'a GUID atr-partner-id',
      (path) =>
        get(path, { 'atr-environment-id': ENV, 'atr-subscription-key': reader, 'atr-partner-id': '0f8fad5b-d9cb-469f-a165-70867728950e' }),
    ],
    [
      'conditional headers (never a 304)',
      (path) =>
        get(path, {
          'atr-environment-id': ENV,
          'atr-subscription-key': reader,
          'if-none-match': '*',
          'if-modified-since': 'Wed, 21 Oct 2099 07:28:00 GMT',
        }),
    ],
    ['no atr-environment-id (400)', (path) => get(path, { 'atr-subscription-key': reader })],
    ['a malformed atr-environment-id (400)', (path) => get(path, { 'atr-environment-id': 'no spaces', 'atr-subscription-key': reader })],
    [
      'a malformed atr-partner-id (400)',
      (path) => get(path, { 'atr-environment-id': ENV, 'atr-subscription-key': reader, 'atr-partner-id': 'not-a-guid' }),
    ],
    [
      'an atr-request-source over 256 characters (400)',
      (path) => get(path, { 'atr-environment-id': ENV, 'atr-subscription-key': reader, 'atr-request-source': 'x'.repeat(257) }),
    ],
    ['no key (401)', (path) => get(path, { 'atr-environment-id': ENV })],
    ['an unknown key (401)', (path) => get(path, { 'atr-environment-id': ENV, 'atr-subscription-key': 'not-a-key' })],
    ['a revoked key (401)', (path) => get(path, { 'atr-environment-id': ENV, 'atr-subscription-key': revoked })],
    [
      'a key of another environment (401)',
      (path) => get(path, { 'atr-environment-id': 'other-env', 'atr-subscription-key': reader, origin: ALLOWED }),
    ],
    ["a reader client's access token", (path) => get(path, { 'atr-environment-id': ENV, authorization: `Bearer ${accessToken}` })],
    ['the bearer scheme in lower case', (path) => get(path, { 'atr-environment-id': ENV, authorization: `bearer ${accessToken}` })],
    ['a malformed Authorization (401)', (path) => get(path, { 'atr-environment-id': ENV, authorization: 'Basic abc' })],
    [
      'a key and a bad Authorization: Authorization decides (401)',
      (path) => get(path, { 'atr-environment-id': ENV, 'atr-subscription-key': reader, authorization: 'Bearer not.a.token' }),
    ],
    [
      'a key bound to another organization (404)',
      (path) => get(path, { 'atr-environment-id': ENV, 'atr-subscription-key': otherOrganization }),
    ],
    ['a bound key from its origin', (path) => get(path, { 'atr-environment-id': ENV, 'atr-subscription-key': bound, origin: ALLOWED })],
    [
      'a bound key from its origin, in Referer only',
      (path) => get(path, { 'atr-environment-id': ENV, 'atr-subscription-key': bound, referer: `${ALLOWED}/floors/1` }),
    ],
    [
      'a bound key from another origin (403)',
      (path) => get(path, { 'atr-environment-id': ENV, 'atr-subscription-key': bound, origin: 'https://evil.example.com' }),
    ],
    [
      'a bound key with neither Origin nor Referer (403)',
      (path) => get(path, { 'atr-environment-id': ENV, 'atr-subscription-key': bound }),
    ],
  ];

  it.each(cases)('with %s, answers exactly as the router does: status, body and every header', async (_name, send) => {
    const hot = await send(`/api/v1/map-tokens/${id}/token`).set('x-request-id', 'same-request-id');
    const routed = await send(`/api/v1/map-tokens/${id}/token/`).set('x-request-id', 'same-request-id');
    expect(hot.status).toBe(routed.status);
    expect(hot.text).toBe(routed.text);
    expect(headersOf(hot)).toEqual(headersOf(routed));
  });

  it.each([
    ['no x-request-id', undefined],
    ['an unsafe x-request-id', 'has spaces in it'],
  ])('with %s, both make up a new request id and answer it in the header and nowhere else the same way', async (_name, incoming) => {
    const send = (path: string) => {
      const req = get(path, { 'atr-environment-id': ENV, 'atr-subscription-key': 'not-a-key' });
      return incoming === undefined ? req : req.set('x-request-id', incoming);
    };
    const hot = await send(`/api/v1/map-tokens/${id}/token`);
    const routed = await send(`/api/v1/map-tokens/${id}/token/`);
    for (const res of [hot, routed]) {
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.body.requestId).toBe(res.headers['x-request-id']);
    }
    expect(hot.headers['x-request-id']).not.toBe(routed.headers['x-request-id']);
    const masked = (res: request.Response) => ({
      status: res.status,
      text: res.text.replace(res.body.requestId, '<id>'),
      headers: { ...headersOf(res), 'x-request-id': '<id>' },
    });
    expect(masked(hot)).toEqual(masked(routed));
  });

  it.each([['abc'], ['0'], ['01'], ['2147483648'], ['99999']])('for the path id %s, answers exactly as the router does', async (pathId) => {
    const headers = { 'atr-environment-id': ENV, 'atr-subscription-key': reader, 'x-request-id': 'same-request-id' };
    const hot = await get(`/api/v1/map-tokens/${pathId}/token`, headers);
    const routed = await get(`/api/v1/map-tokens/${pathId}/token/`, headers);
    expect(hot.status).toBe(pathId === '99999' ? 404 : 400);
    expect(hot.status).toBe(routed.status);
    expect(hot.text).toBe(routed.text);
    expect(headersOf(hot)).toEqual(headersOf(routed));
  });

  it('answers a token that no ENCRYPTION_KEY of its instance decrypts as the router does', async () => {
    const db = await createTestDatabase();
    const writer = createHarness({ mysqlUrl: db.url });
    const reader2 = createHarness({ mysqlUrl: db.url, env: { ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64') } });
    try {
      const sealedId = await putStaticToken(writer.app, ENV, await writer.key(ENV, 'admin'), 'sealed-elsewhere');
      const headers = {
        'atr-environment-id': ENV,
        'atr-subscription-key': await reader2.key(ENV, 'reader'),
        'x-request-id': 'same-request-id',
      };
      const send = (path: string) => request(reader2.app).get(path).set(headers);
      const hot = await send(`/api/v1/map-tokens/${sealedId}/token`);
      const routed = await send(`/api/v1/map-tokens/${sealedId}/token/`);
      expect(hot.status).toBeGreaterThanOrEqual(500);
      expect(hot.status).toBe(routed.status);
      expect(hot.text).toBe(routed.text);
      expect(headersOf(hot)).toEqual(headersOf(routed));
    } finally {
      await writer.close();
      await reader2.close();
      await db.drop();
    }
  });

  it('answers a store outage with 503 and Retry-After, as the router does, and logs it at error level', async () => {
    h.store.keys.findByHash = async () => {
      throw new StoreUnavailableError();
    };
    const headers = { 'atr-environment-id': ENV, 'atr-subscription-key': 'a-key-not-cached-yet', 'x-request-id': 'same-request-id' };
    const hot = await get(`/api/v1/map-tokens/${id}/token`, headers);
    const routed = await get(`/api/v1/map-tokens/${id}/token/`, headers);
    expect(hot.status).toBe(503);
    expect(hot.headers['retry-after']).toBe('5');
    expect(hot.text).toBe(routed.text);
    expect(headersOf(hot)).toEqual(headersOf(routed));
    expect(
      h.logs.filter((line) => line.level === 'error' && line.status === 503 && line.path === `/api/v1/map-tokens/${id}/token`),
    ).toHaveLength(1);
  });

  it("gives every request its complete log line, the same as the router's but for the path and duration", async () => {
    for (const suffix of ['', '/']) {
      await get(`/api/v1/map-tokens/${id}/token${suffix}`, {
        'atr-environment-id': ENV,
        'atr-subscription-key': reader,
        'atr-request-source': 'floor-app',
        'x-request-id': `ok${suffix}`,
      });
      await get(`/api/v1/map-tokens/${id}/token${suffix}`, {
        'atr-environment-id': ENV,
        'atr-subscription-key': 'not-a-key',
        'x-request-id': `denied${suffix}`,
      });
    }
    const line = (requestId: string) => {
      const lines = h.logs.filter((l) => l.requestId === requestId);
      expect(lines).toHaveLength(1);
      const { time: _time, durationMs, path, ...rest } = lines[0];
      expect(typeof durationMs).toBe('number');
      return { rest, path };
    };
    const ok = line('ok');
    expect(ok.path).toBe(`/api/v1/map-tokens/${id}/token`);
    expect(ok.rest).toEqual({
      level: 'info',
      service: 'map-token-proxy',
      requestId: 'ok',
      method: 'GET',
      route: '/api/v1/map-tokens/:mapTokenID/token',
      status: 200,
      environment: ENV,
      actor: 'floor-app',
      principal: expect.any(String),
      msg: 'GET /api/v1/map-tokens/:mapTokenID/token 200',
    });
    expect(line('ok/').rest).toEqual({ ...ok.rest, requestId: 'ok/' });
    const denied = line('denied');
    expect(denied.rest).toMatchObject({
      status: 401,
      errorCode: 'Unauthorized',
      environment: ENV,
      route: '/api/v1/map-tokens/:mapTokenID/token',
    });
    expect(line('denied/').rest).toEqual({ ...denied.rest, requestId: 'denied/' });
    expect(h.logText()).not.toContain(reader);
  });

  it('counts every request in the request metrics with its route, method and status', async () => {
    for (let i = 0; i < 3; i++) await get(`/api/v1/map-tokens/${id}/token`, { 'atr-environment-id': ENV, 'atr-subscription-key': reader });
    await get(`/api/v1/map-tokens/${id}/token`, { 'atr-environment-id': ENV, 'atr-subscription-key': 'not-a-key' });
    const text = (await request(h.app).get('/metrics')).text;
    const route = 'route="/api/v1/map-tokens/:mapTokenID/token",method="GET"';
    expect(text).toContain(`mtp_http_requests_total{${route},status="200"} 3\n`);
    expect(text).toContain(`mtp_http_requests_total{${route},status="401"} 1\n`);
    expect(text).toContain(`mtp_http_request_duration_seconds_count{${route}} 4\n`);
  });

  it("answers a '#' in the path as the router does: a fragment sent raw is no part of the id", async () => {
    // superagent would cut the fragment off: these go out as written, on a listening server
    const server = http.createServer(h.app).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    const raw = (path: string) =>
      new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
        const headers = { 'atr-environment-id': ENV, 'atr-subscription-key': reader, connection: 'close' };
        http
          .get({ host: '127.0.0.1', port, path, headers }, (res) => {
            let text = '';
            res.setEncoding('utf8').on('data', (chunk: string) => {
              text += chunk;
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
          })
          .on('error', reject);
      });
    try {
      for (const [hot, routed] of [
        [`/api/v1/map-tokens/${id}#x/token`, `/api/v1/map-tokens/${id}#x/token/`],
        [`/api/v1/map-tokens/${id}/token#x`, `/api/v1/map-tokens/${id}/token/#x`],
      ] as const) {
        const [a, b] = [await raw(hot), await raw(routed)];
        expect({ hot, status: a.status, code: a.body.code, token: a.body.token }).toEqual({
          hot,
          status: b.status,
          code: b.body.code,
          token: b.body.token,
        });
      }
      expect((await raw(`/api/v1/map-tokens/${id}#x/token`)).status).toBe(404);
      expect((await raw(`/api/v1/map-tokens/${id}/token#x`)).body.token).toBe('hot-static-token');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('leaves HEAD, the preflight and the rejected-token report to the router', async () => {
    const head = await request(h.app)
      .head(`/api/v1/map-tokens/${id}/token`)
      .set('atr-environment-id', ENV)
      .set('atr-subscription-key', reader);
    expect(head.status).toBe(200);
    expect(head.headers['cache-control']).toBe('no-store');
    const preflight = await request(h.app)
      .options(`/api/v1/map-tokens/${id}/token`)
      .set('Origin', ALLOWED)
      .set('Access-Control-Request-Method', 'GET');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(ALLOWED);
    const report = await request(h.app)
      .post(`/api/v1/map-tokens/${id}/token`)
      .set('atr-environment-id', ENV)
      .set('atr-subscription-key', reader)
      .send({ rejected: 'some-other-token' });
    expect(report.status).toBe(200);
    expect(report.body.token).toBe('hot-static-token');
  });
});
