import request from 'supertest';
import type { Role } from '../../src/domain';
import { createHarness, type Harness } from '../support/harness';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { putStaticToken } from '../support/map-token-requests';

/**
 * SPEC "Reader keys live in browsers": a key (or a client) bound to origins is accepted only from them
 * (Origin, else the origin of Referer), on every route it may call and every spelling of the path; a key
 * with a read limit gets that many reads a minute as a token bucket, then 429 with Retry-After; the
 * origin is checked first. Both stores, over HTTP, on a fake clock.
 */

const ENV = 'rules-env';
const SITE = 'https://maps.example.com';
const OTHER = 'https://copycat.example.net';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

describe.each([
  ['embedded', () => createHarness({ env: { CORS_ALLOWED_ORIGINS: SITE } })],
  ['MySQL', () => createHarness({ mysqlUrl: db.url, env: { CORS_ALLOWED_ORIGINS: SITE } })],
])('on the %s store', (_name, open) => {
  let h: Harness;
  let id: number;
  let admin: string;

  const key = async (rules: { allowedOrigins?: string[]; rateLimit?: number }, role: Role = 'reader') =>
    (await h.services.access.createKey({ environment: ENV, role, organizationId: null, description: null, ...rules }, 'test')).key;
  const read = (key: string, headers: Record<string, string> = {}, path = `/api/v1/map-tokens/${id}/token`) => {
    let req = request(h.app).get(path).set('atr-environment-id', ENV).set('atr-subscription-key', key);
    for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
    return req;
  };
  const report = (key: string, headers: Record<string, string> = {}) => {
    let req = request(h.app).post(`/api/v1/map-tokens/${id}/token`).set('atr-environment-id', ENV).set('atr-subscription-key', key);
    for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
    return req.send({ rejected: 'an-older-token' });
  };
  const expectRefusedOrigin = (res: request.Response) => {
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ msg: expect.stringContaining('bound to other origins'), requestId: expect.any(String), code: 'Forbidden' });
  };

  beforeEach(async () => {
    h = open();
    admin = await key({}, 'admin');
    id = await putStaticToken(h.app, ENV, admin, 'static-token');
  });
  afterEach(() => h.close());

  describe('origin binding', () => {
    it('accepts a matching Origin, and refuses another one, no header at all, and the opaque origin "null"', async () => {
      const bound = await key({ allowedOrigins: [SITE, 'http://localhost:8080'] });
      expect((await read(bound, { origin: SITE })).status).toBe(200);
      expect((await read(bound, { origin: 'http://localhost:8080' })).status).toBe(200);
      expectRefusedOrigin(await read(bound, { origin: OTHER }));
      expectRefusedOrigin(await read(bound));
      expectRefusedOrigin(await read(bound, { origin: 'null' }));
      // the same host on another scheme or port is another origin
      expectRefusedOrigin(await read(bound, { origin: 'http://maps.example.com' }));
      expectRefusedOrigin(await read(bound, { origin: 'https://maps.example.com:8443' }));
    });

    it('without Origin, takes the origin of Referer; with Origin, Referer does not matter', async () => {
      const bound = await key({ allowedOrigins: [SITE] });
      expect((await read(bound, { referer: `${SITE}/floors/3?level=2` })).status).toBe(200);
      expectRefusedOrigin(await read(bound, { referer: `${OTHER}/${SITE}` }));
      expectRefusedOrigin(await read(bound, { referer: 'not a url' }));
      expectRefusedOrigin(await read(bound, { origin: OTHER, referer: `${SITE}/` }));
    });

    it('holds on every spelling of the path, on the rejected-token report, and leaves preflights as they were', async () => {
      const bound = await key({ allowedOrigins: [SITE] });
      for (const path of [`/api/v1/map-tokens/${id}/token/`, `/API/V1/MAP-TOKENS/${id}/TOKEN`, `/api/v1/map-tokens/${id}/token?x=1`]) {
        expectRefusedOrigin(await read(bound, { origin: OTHER }, path));
        expect((await read(bound, { origin: SITE }, path)).status).toBe(200);
      }
      expectRefusedOrigin(await report(bound, { origin: OTHER }));
      expect((await report(bound, { origin: SITE })).status).toBe(200);
      const preflight = await request(h.app)
        .options(`/api/v1/map-tokens/${id}/token`)
        .set('Origin', SITE)
        .set('Access-Control-Request-Method', 'GET');
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe(SITE);
    });

    it('leaves keys without the option as they were, whatever the origin', async () => {
      const unbound = await key({});
      expect((await read(unbound, { origin: OTHER })).status).toBe(200);
      expect((await read(unbound)).status).toBe(200);
    });

    it('holds on admin routes for a bound admin key', async () => {
      const boundAdmin = await key({ allowedOrigins: [SITE] }, 'admin');
      const list = (headers: Record<string, string>) =>
        request(h.app).get('/api/v1/admin/map-tokens').set('atr-environment-id', ENV).set('atr-subscription-key', boundAdmin).set(headers);
      expectRefusedOrigin(await list({ origin: OTHER }));
      expectRefusedOrigin(await list({}));
      expect((await list({ origin: SITE })).status).toBe(200);
      const put = await request(h.app)
        .put('/api/v1/admin/map-tokens')
        .set('atr-environment-id', ENV)
        .set('atr-subscription-key', boundAdmin)
        .set('origin', OTHER)
        .send([{ organization_ID: 1, authType: 'static', token: 'never-stored' }]);
      expectRefusedOrigin(put);
      expect(JSON.stringify((await list({ origin: SITE })).body)).not.toContain('never-stored');
    });

    it("binds a client's access tokens like the client, on the token read and on its secret management", async () => {
      const { client, secret } = await h.services.clients.createClient(
        { environment: ENV, role: 'reader', organizationId: null, description: null, allowedOrigins: [SITE] },
        'test',
      );
      const { access_token: token } = await h.services.clients.issueToken(client.clientId, secret, ENV);
      const bearer = (path: string, origin: string) =>
        request(h.app).get(path).set('atr-environment-id', ENV).set('Authorization', `Bearer ${token}`).set('origin', origin);
      expectRefusedOrigin(await bearer(`/api/v1/map-tokens/${id}/token`, OTHER));
      expect((await bearer(`/api/v1/map-tokens/${id}/token`, SITE)).status).toBe(200);
      expectRefusedOrigin(await bearer('/api/v1/auth/clientcredentials', OTHER));
      expect((await bearer('/api/v1/auth/clientcredentials', SITE)).status).toBe(200);
    });
  });

  describe('read limits', () => {
    const expectLimited = (res: request.Response, retryAfter: string) => {
      expect(res.status).toBe(429);
      expect(res.body).toEqual({
        msg: expect.stringContaining('3 token(s) a minute'),
        requestId: expect.any(String),
        code: 'TooManyRequests',
      });
      expect(res.headers['retry-after']).toBe(retryAfter);
    };

    it('grants n reads at once (GET and POST together), refuses read n+1 with Retry-After, and refills n a minute', async () => {
      const limited = await key({ rateLimit: 3 });
      expect((await read(limited)).status).toBe(200);
      expect((await report(limited)).status).toBe(200);
      expect((await read(limited, {}, `/api/v1/map-tokens/${id}/token/`)).status).toBe(200);
      // one read comes back every 20 s
      expectLimited(await read(limited), '20');
      expectLimited(await report(limited), '20');
      h.clock.advance(19_000);
      expectLimited(await read(limited), '1');
      h.clock.advance(999);
      expectLimited(await read(limited), '1');
      h.clock.advance(1);
      expect((await read(limited)).status).toBe(200);
      expectLimited(await read(limited), '20');
      // a full minute refills the whole burst, and no more
      h.clock.advance(600_000);
      for (let i = 0; i < 3; i++) expect((await read(limited)).status).toBe(200);
      expectLimited(await read(limited), '20');
    });

    it('counts before any store work: over the limit, a map token that does not exist answers 429, not 404', async () => {
      const limited = await key({ rateLimit: 3 });
      for (let i = 0; i < 3; i++) expect((await read(limited, {}, '/api/v1/map-tokens/999999/token')).status).toBe(404);
      expectLimited(await read(limited, {}, '/api/v1/map-tokens/999999/token'), '20');
    });

    it('checks the origin first: refused origins use none of the limit', async () => {
      const both = await key({ allowedOrigins: [SITE], rateLimit: 1 });
      for (let i = 0; i < 5; i++) expectRefusedOrigin(await read(both, { origin: OTHER }));
      expect((await read(both, { origin: SITE })).status).toBe(200);
      expect((await read(both, { origin: SITE })).status).toBe(429);
      expectRefusedOrigin(await read(both, { origin: OTHER }));
    });

    it('counts per key: one key over its limit leaves another key and unlimited keys alone', async () => {
      const first = await key({ rateLimit: 1 });
      const second = await key({ rateLimit: 1 });
      const unlimited = await key({});
      expect((await read(first)).status).toBe(200);
      expect((await read(first)).status).toBe(429);
      expect((await read(second)).status).toBe(200);
      for (let i = 0; i < 20; i++) expect((await read(unlimited)).status).toBe(200);
    });

    it("counts all of a client's access tokens in the client's one limit", async () => {
      const { client, secret } = await h.services.clients.createClient(
        { environment: ENV, role: 'reader', organizationId: null, description: null, rateLimit: 2 },
        'test',
      );
      const tokens = [
        (await h.services.clients.issueToken(client.clientId, secret, ENV)).access_token,
        (await h.services.clients.issueToken(client.clientId, secret, ENV)).access_token,
      ];
      const bearer = (token: string) =>
        request(h.app).get(`/api/v1/map-tokens/${id}/token`).set('atr-environment-id', ENV).set('Authorization', `Bearer ${token}`);
      expect((await bearer(tokens[0])).status).toBe(200);
      expect((await bearer(tokens[1])).status).toBe(200);
      const over = await bearer(tokens[0]);
      expect(over.status).toBe(429);
      expect(over.headers['retry-after']).toBe('30');
    });
  });
});
