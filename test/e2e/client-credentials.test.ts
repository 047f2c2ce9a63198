import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import request from 'supertest';
import { hashSecret } from '../../src/crypto/secrets';
import { SchemaValidator } from '../../src/http/schema-validator';
import type { Role } from '../../src/domain';
import { FakeClock } from '../support/fake-clock';
import { createHarness, type Harness, type HarnessOptions } from '../support/harness';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

const ENV = 'cc-env';
const OTHER_ENV = 'cc-other';
const TOKEN_URL = '/api/v1/auth/token';
const SECRETS_URL = '/api/v1/auth/clientcredentials';
const ADMIN_URL = '/api/v1/admin/map-tokens';
const STATIC_ITEM = { organization_ID: 1, authType: 'static', token: 't' };

const schemas = new SchemaValidator({ maxBatch: 100 });
const tokenResponse = schemas.compile('auth-token-response.json');
const oauthError = schemas.compile('oauth-error.json');
const errorEnvelope = schemas.compile('error.json');
const secretCreated = schemas.compile('client-secret-created.json');
const secretList = schemas.compile('client-secret-list.json');

let db: TestDatabase;
const harnesses: Harness[] = [];

/**
 * Each group gets its own app (so its own login rate limiter) on the same database. Failed logins
 * from one address are limited too, and these tests all come from 127.0.0.1.
 */
function harness(options: Omit<HarnessOptions, 'mysqlUrl'> = {}): Harness {
  const h = createHarness({ mysqlUrl: db.url, ...options });
  harnesses.push(h);
  return h;
}

async function newClient(h: Harness, role: Role = 'admin', organizationId: number | null = null, environment = ENV) {
  const created = await h.services.clients.createClient({ environment, role, organizationId, description: 'e2e' }, 'test');
  return { clientId: created.client.clientId, secret: created.secret, secretId: created.secretId };
}

function login(h: Harness, clientId: string, secret: string, headers: Record<string, string> = {}) {
  return request(h.app)
    .post(TOKEN_URL)
    .set(headers)
    .type('form')
    .send({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret });
}

async function tokenFor(h: Harness, clientId: string, secret: string): Promise<string> {
  const res = await login(h, clientId, secret);
  expect(res.status).toBe(200);
  return res.body.access_token as string;
}

const bearer = (token: string, environment = ENV) => ({ Authorization: `Bearer ${token}`, 'atr-environment-id': environment });
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function expectOAuthError(res: request.Response, status: number, error: string): void {
  expect(res.status).toBe(status);
  expect(res.body).toEqual({ error, error_description: expect.any(String) });
  expect(oauthError(res.body)).toBe(true);
  expect(res.headers['cache-control']).toBe('no-store');
}

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  for (const h of harnesses) await h.close();
  await db.drop();
});

describe('POST /api/v1/auth/token', () => {
  let h: Harness;
  beforeAll(() => {
    h = harness();
  });

  it('answers a form-encoded client_credentials login with a Bearer token for an hour, scoped to the role, never cached', async () => {
    const { clientId, secret } = await newClient(h);
    const res = await login(h, clientId, secret);
    expect(res.status).toBe(200);
    expect(tokenResponse(res.body)).toBe(true);
    expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600, scope: 'admin' });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('accepts the same login as a JSON body', async () => {
    const { clientId, secret } = await newClient(h);
    const res = await request(h.app).post(TOKEN_URL).send({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret });
    expect(res.status).toBe(200);
    expect(tokenResponse(res.body)).toBe(true);
  });

  it('accepts the client id and secret with HTTP Basic', async () => {
    const { clientId, secret } = await newClient(h);
    const basic = Buffer.from(`${clientId}:${secret}`).toString('base64');
    const res = await request(h.app)
      .post(TOKEN_URL)
      .set('Authorization', `Basic ${basic}`)
      .type('form')
      .send({ grant_type: 'client_credentials' });
    expect(res.status).toBe(200);
    expect(tokenResponse(res.body)).toBe(true);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('issues a JWT that names environment, role, organization, client and secret, expiring ACCESS_TOKEN_TTL_SECONDS after issue', async () => {
    const { clientId, secret, secretId } = await newClient(h, 'admin', 7);
    const token = await tokenFor(h, clientId, secret);
    const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));
    expect(header.alg).toBe('HS256');
    const claims = claimsOf(token);
    expect(claims).toMatchObject({ env: ENV, role: 'admin', org: 7, sub: clientId, sid: secretId });
    expect(claims.iat).toBe(Math.floor(h.clock.now() / 1000));
    expect(claims.exp).toBe((claims.iat as number) + h.config.accessTokenTtlSeconds);
    expect(h.config.accessTokenTtlSeconds).toBe(3600);
  });

  it("gives a reader client scope 'reader' and a reader role claim", async () => {
    const { clientId, secret } = await newClient(h, 'reader');
    const res = await login(h, clientId, secret);
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('reader');
    expect(claimsOf(res.body.access_token)).toMatchObject({ role: 'reader', org: null });
  });
});

describe('POST /api/v1/auth/token errors (RFC 6749 section 5.2)', () => {
  let h: Harness;
  let client: { clientId: string; secret: string };
  beforeAll(async () => {
    h = harness();
    client = await newClient(h);
  });

  it('answers a wrong secret with 401 invalid_client', async () => {
    expectOAuthError(await login(h, client.clientId, 'not-the-secret'), 401, 'invalid_client');
  });

  it('answers an unknown client with the same 401 invalid_client', async () => {
    expectOAuthError(await login(h, 'mtpc_unknown', client.secret), 401, 'invalid_client');
  });

  it('answers a wrong secret sent with HTTP Basic with 401 invalid_client and WWW-Authenticate', async () => {
    const basic = Buffer.from(`${client.clientId}:wrong`).toString('base64');
    const res = await request(h.app)
      .post(TOKEN_URL)
      .set('Authorization', `Basic ${basic}`)
      .type('form')
      .send({ grant_type: 'client_credentials' });
    expectOAuthError(res, 401, 'invalid_client');
    expect(res.headers['www-authenticate']).toMatch(/^Basic /);
  });

  it('answers a missing grant_type with 400 invalid_request', async () => {
    const res = await request(h.app).post(TOKEN_URL).type('form').send({ client_id: client.clientId, client_secret: client.secret });
    expectOAuthError(res, 400, 'invalid_request');
  });

  it('answers grant_type=password with 400 unsupported_grant_type', async () => {
    const res = await request(h.app).post(TOKEN_URL).type('form').send({ grant_type: 'password', username: 'u', password: 'p' });
    expectOAuthError(res, 400, 'unsupported_grant_type');
  });

  it('answers a missing client_secret with 401 invalid_client (the client did not authenticate)', async () => {
    const res = await request(h.app).post(TOKEN_URL).type('form').send({ grant_type: 'client_credentials', client_id: client.clientId });
    expectOAuthError(res, 401, 'invalid_client');
  });

  it('answers a text/plain body with 400 invalid_request', async () => {
    const res = await request(h.app)
      .post(TOKEN_URL)
      .set('Content-Type', 'text/plain')
      .send(`grant_type=client_credentials&client_id=${client.clientId}&client_secret=${client.secret}`);
    expectOAuthError(res, 400, 'invalid_request');
  });

  it("answers a login that names another environment than the client's with 401 invalid_client", async () => {
    expectOAuthError(await login(h, client.clientId, client.secret, { 'atr-environment-id': OTHER_ENV }), 401, 'invalid_client');
  });

  it("logs in when atr-environment-id names the client's own environment", async () => {
    const res = await login(h, client.clientId, client.secret, { 'atr-environment-id': ENV });
    expect(res.status).toBe(200);
  });
});

describe('login rate limit', () => {
  let h: Harness;
  beforeAll(() => {
    // trust X-Forwarded-For from the test's loopback address, so each attempt can come from its own address
    h = harness({ env: { TRUST_PROXY: 'loopback' } });
  });
  let address = 0;
  const from = () => ({ 'X-Forwarded-For': `10.1.0.${++address}` });

  it('after 10 failed logins for one client from one address within a minute, that address gets 429 with Retry-After for that client; successes do not count', async () => {
    const target = await newClient(h);
    const guesser = from();
    for (let i = 0; i < 9; i++) expectOAuthError(await login(h, target.clientId, 'wrong', guesser), 401, 'invalid_client');
    for (let i = 0; i < 5; i++) {
      const ok = await login(h, target.clientId, target.secret, guesser);
      expect(ok.status).toBe(200);
    }
    expectOAuthError(await login(h, target.clientId, 'wrong', guesser), 401, 'invalid_client');

    const limited = await login(h, target.clientId, 'wrong', guesser);
    expect(limited.status).toBe(429);
    expect(oauthError(limited.body)).toBe(true);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    // while limited, even the right secret is refused from that address: a guesser learns nothing
    expect((await login(h, target.clientId, target.secret, guesser)).status).toBe(429);

    // that address may still log in as another client
    const other = await newClient(h);
    const ok = await login(h, other.clientId, other.secret, guesser);
    expect(ok.status).toBe(200);
  });

  it('failed logins from one address cannot lock the client out elsewhere: the right secret from another address logs in', async () => {
    const target = await newClient(h);
    const attacker = from();
    for (let i = 0; i < 10; i++) expectOAuthError(await login(h, target.clientId, 'wrong', attacker), 401, 'invalid_client');
    expect((await login(h, target.clientId, 'wrong', attacker)).status).toBe(429);

    const owner = await login(h, target.clientId, target.secret, from());
    expect(owner.status).toBe(200);
  });

  it('after 30 failed logins from one address, answers 429 to that address whatever client it names', async () => {
    const address = { 'X-Forwarded-For': '10.2.0.1' };
    for (let i = 0; i < 30; i++) expectOAuthError(await login(h, `mtpc_guess${i}`, 'wrong', address), 401, 'invalid_client');
    const limited = await login(h, 'mtpc_guess30', 'wrong', address);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    expect(oauthError(limited.body)).toBe(true);
    // another address is not affected
    expectOAuthError(await login(h, 'mtpc_guess30', 'wrong', { 'X-Forwarded-For': '10.2.0.2' }), 401, 'invalid_client');
  });
});

describe('Bearer access tokens on the admin API', () => {
  let h: Harness;
  let admin: string;
  beforeAll(async () => {
    h = harness();
    const client = await newClient(h);
    admin = await tokenFor(h, client.clientId, client.secret);
  });

  it("with the client's environment, PUT and GET of /api/v1/admin/map-tokens work", async () => {
    const put = await request(h.app).put(ADMIN_URL).set(bearer(admin)).send([STATIC_ITEM]);
    expect(put.status).toBe(200);
    const id = put.body.result[0].mapTokenID;
    const get = await request(h.app).get(`${ADMIN_URL}/${id}`).set(bearer(admin));
    expect(get.status).toBe(200);
    expect(get.body.result[0]).toMatchObject({ mapTokenID: id, organization_ID: 1, token: 't' });
    const list = await request(h.app).get(ADMIN_URL).set(bearer(admin));
    expect(list.status).toBe(200);
    expect(list.body.result.map((row: { mapTokenID: number }) => row.mapTokenID)).toContain(id);
  });

  it("a client of another environment sees none of this environment's map tokens or secrets", async () => {
    const mine = (await request(h.app).put(ADMIN_URL).set(bearer(admin)).send([STATIC_ITEM])).body.result[0].mapTokenID;
    const own = await newClient(h);
    const stranger = await newClient(h, 'admin', null, OTHER_ENV);
    const theirs = await tokenFor(h, stranger.clientId, stranger.secret);
    const list = await request(h.app).get(ADMIN_URL).set(bearer(theirs, OTHER_ENV));
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(0);
    expect((await request(h.app).get(`${ADMIN_URL}/${mine}`).set(bearer(theirs, OTHER_ENV))).status).toBe(404);
    expect((await request(h.app).delete(`${SECRETS_URL}?id=${own.secretId}`).set(bearer(theirs, OTHER_ENV))).status).toBe(404);
    expect((await request(h.app).get(SECRETS_URL).set(bearer(theirs, OTHER_ENV))).body.map((s: { id: string }) => s.id)).toEqual([
      stranger.secretId,
    ]);
  });

  it('with another environment in atr-environment-id, answers 401', async () => {
    const res = await request(h.app).get(ADMIN_URL).set(bearer(admin, OTHER_ENV));
    expect(res.status).toBe(401);
    expect(errorEnvelope(res.body)).toBe(true);
    expect(res.body.code).toBe('Unauthorized');
  });

  it("refuses a reader client's token on admin routes with 403 but serves it the token read", async () => {
    const put = await request(h.app).put(ADMIN_URL).set(bearer(admin)).send([STATIC_ITEM]);
    const id = put.body.result[0].mapTokenID;
    const reader = await newClient(h, 'reader');
    const token = await tokenFor(h, reader.clientId, reader.secret);
    expect((await request(h.app).get(ADMIN_URL).set(bearer(token))).status).toBe(403);
    expect((await request(h.app).put(ADMIN_URL).set(bearer(token)).send([STATIC_ITEM])).status).toBe(403);
    const read = await request(h.app).get(`/api/v1/map-tokens/${id}/token`).set(bearer(token));
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ mapTokenID: id, token: 't' });
  });

  it('lets a client bound to organization 7 see and write only organization 7', async () => {
    const elsewhere = await request(h.app).put(ADMIN_URL).set(bearer(admin)).send([STATIC_ITEM]);
    const otherId = elsewhere.body.result[0].mapTokenID;
    const bound = await newClient(h, 'admin', 7);
    const token = await tokenFor(h, bound.clientId, bound.secret);

    const own = await request(h.app)
      .put(ADMIN_URL)
      .set(bearer(token))
      .send([{ ...STATIC_ITEM, organization_ID: 7 }]);
    expect(own.status).toBe(200);
    const ownId = own.body.result[0].mapTokenID;
    expect((await request(h.app).get(`${ADMIN_URL}/${ownId}`).set(bearer(token))).status).toBe(200);
    expect((await request(h.app).get(`${ADMIN_URL}/${otherId}`).set(bearer(token))).status).toBe(404);
    expect(
      (
        await request(h.app)
          .put(ADMIN_URL)
          .set(bearer(token))
          .send([{ ...STATIC_ITEM, organization_ID: 8 }])
      ).status,
    ).toBe(403);
    const list = await request(h.app).get(ADMIN_URL).set(bearer(token));
    expect(list.status).toBe(200);
    expect(list.body.result.map((row: { organization_ID: number }) => row.organization_ID)).toEqual([7]);
  });
});

describe('tampered and expired access tokens', () => {
  const clock = new FakeClock();
  let h: Harness;
  let admin: string;
  let reader: string;
  beforeAll(async () => {
    h = harness({ clock });
    const a = await newClient(h);
    const r = await newClient(h, 'reader');
    admin = await tokenFor(h, a.clientId, a.secret);
    reader = await tokenFor(h, r.clientId, r.secret);
  });

  const adminGet = (authorization: string) =>
    request(h.app).get(ADMIN_URL).set({ Authorization: authorization, 'atr-environment-id': ENV });

  async function expectRefused(authorization: string): Promise<void> {
    const res = await adminGet(authorization);
    expect(res.status).toBe(401);
    expect(errorEnvelope(res.body)).toBe(true);
  }

  it('accepts the untampered admin token (the baseline)', async () => {
    expect((await adminGet(`Bearer ${admin}`)).status).toBe(200);
    expect((await adminGet(`Bearer ${reader}`)).status).toBe(403);
  });

  it('refuses a token with one signature character changed', async () => {
    const [header, payload, signature] = admin.split('.');
    const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
    await expectRefused(`Bearer ${header}.${payload}.${flipped}`);
  });

  it('refuses a reader token whose payload was rewritten to role admin without re-signing', async () => {
    const [header, , signature] = reader.split('.');
    await expectRefused(`Bearer ${header}.${b64url({ ...claimsOf(reader), role: 'admin' })}.${signature}`);
  });

  it('refuses an unsigned token (alg none)', async () => {
    await expectRefused(`Bearer ${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claimsOf(admin))}.`);
  });

  it('refuses a token signed HS256 with another key', async () => {
    const { iat, exp, ...claims } = claimsOf(admin);
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(iat as number)
      .setExpirationTime(exp as number)
      .sign(randomBytes(32));
    await expectRefused(`Bearer ${forged}`);
  });

  it('refuses garbage and a Basic header on an admin route', async () => {
    await expectRefused('Bearer abc');
    await expectRefused(`Basic ${Buffer.from('mtpc_x:secret').toString('base64')}`);
  });

  it('refuses a token once its exp has passed', async () => {
    expect((await adminGet(`Bearer ${admin}`)).status).toBe(200);
    clock.advance((h.config.accessTokenTtlSeconds + 1) * 1000);
    await expectRefused(`Bearer ${admin}`);
  });
});

describe('secret rotation through /api/v1/auth/clientcredentials', () => {
  const clock = new FakeClock();
  let h: Harness;
  /** A second instance on the same database: it learns of a deleted secret only through its cache TTL. */
  let peer: Harness;
  let client: { clientId: string; secret: string; secretId: string };
  /** Another client, with a token, for the tests of refused calls (each stands alone: nothing here is set by a test). */
  let owner: { clientId: string; secret: string; secretId: string };
  let ownerToken: string;

  beforeAll(async () => {
    h = harness({ clock });
    peer = harness({ clock });
    client = await newClient(h);
    owner = await newClient(h);
    ownerToken = await tokenFor(h, owner.clientId, owner.secret);
  });

  it('logs in with A, creates B, logs in with B, lists both without secrets, deletes A: A is refused, its token dies within CACHE_TTL_SECONDS, B works', async () => {
    const tokenA = await tokenFor(h, client.clientId, client.secret);
    // the peer instance has seen token A's secret and caches it
    expect((await request(peer.app).get(ADMIN_URL).set(bearer(tokenA))).status).toBe(200);

    const created = await request(h.app).post(`${SECRETS_URL}?description=B`).set(bearer(tokenA)).set('atr-request-source', 'rotate-job');
    expect(created.status).toBe(200);
    expect(secretCreated(created.body)).toBe(true);
    expect(created.body).toEqual({
      id: expect.any(String),
      description: 'B',
      createdAt: new Date(clock.now()).toISOString(),
      secret: expect.any(String),
    });
    expect(created.headers['cache-control']).toBe('no-store');
    const createRequestId = created.headers['x-request-id'];
    const secretB: string = created.body.secret;
    const secretBId: string = created.body.id;
    const tokenB = await tokenFor(h, client.clientId, secretB);
    expect(claimsOf(tokenB).sid).toBe(secretBId);

    const listed = await request(h.app).get(SECRETS_URL).set(bearer(tokenB));
    expect(listed.status).toBe(200);
    expect(secretList(listed.body)).toBe(true);
    expect(listed.body).toHaveLength(2);
    expect(listed.body).toEqual(
      expect.arrayContaining([
        { id: client.secretId, description: 'initial secret', client_id: client.clientId, createdAt: expect.any(String) },
        { id: secretBId, description: 'B', client_id: client.clientId, createdAt: created.body.createdAt },
      ]),
    );
    expect(listed.text).not.toContain(client.secret);
    expect(listed.text).not.toContain(secretB);

    const deleted = await request(h.app).delete(`${SECRETS_URL}?id=${client.secretId}`).set(bearer(tokenB));
    expect(deleted.status).toBe(200);
    const deleteRequestId = deleted.headers['x-request-id'];

    expectOAuthError(await login(h, client.clientId, client.secret), 401, 'invalid_client');
    // the instance that deleted A knows at once; the peer, which cached A's secret, serves token A until
    // its entry ages out (the clock has not moved): within CACHE_TTL_SECONDS, not at once
    expect((await request(h.app).get(ADMIN_URL).set(bearer(tokenA))).status).toBe(401);
    expect((await request(peer.app).get(ADMIN_URL).set(bearer(tokenA))).status).toBe(200);
    clock.advance(h.config.cacheTtlSeconds * 1000 + 1);
    expect((await request(peer.app).get(ADMIN_URL).set(bearer(tokenA))).status).toBe(401);
    expect((await request(h.app).get(ADMIN_URL).set(bearer(tokenA))).status).toBe(401);

    expect((await request(h.app).get(ADMIN_URL).set(bearer(tokenB))).status).toBe(200);
    expect((await request(peer.app).get(ADMIN_URL).set(bearer(tokenB))).status).toBe(200);
    const after = await request(h.app).get(SECRETS_URL).set(bearer(tokenB));
    expect(after.body.map((row: { id: string }) => row.id)).toEqual([secretBId]);

    // the audit trail records the create and the delete with actor and request id
    const events = await h.auditEvents(ENV);
    const create = events.find((e) => e.resourceType === 'client_secret' && e.action === 'create' && e.resourceId === secretBId);
    const remove = events.find((e) => e.resourceType === 'client_secret' && e.action === 'delete' && e.resourceId === client.secretId);
    expect(create).toMatchObject({ environment: ENV, actor: 'rotate-job', requestId: createRequestId });
    // without atr-request-source, the client id is the actor
    expect(remove).toMatchObject({ environment: ENV, actor: client.clientId, requestId: deleteRequestId });
  });

  it("answers 404 to deleting another client's secret or an unknown id, and deletes nothing", async () => {
    const stranger = await newClient(h);
    const strangers = await request(h.app).delete(`${SECRETS_URL}?id=${stranger.secretId}`).set(bearer(ownerToken));
    expect(strangers.status).toBe(404);
    expect(errorEnvelope(strangers.body)).toBe(true);
    expect(
      (
        await request(h.app)
          .delete(`${SECRETS_URL}?id=${randomBytes(12).toString('hex')}`)
          .set(bearer(ownerToken))
      ).status,
    ).toBe(404);
    // an id of digits only is still an id (text), not a number the schema would refuse
    expect((await request(h.app).delete(`${SECRETS_URL}?id=123456789012`).set(bearer(ownerToken))).status).toBe(404);
    expect((await login(h, stranger.clientId, stranger.secret)).status).toBe(200);
  });

  it('answers 400 when customerId is not the environment, and accepts it when it is', async () => {
    const wrong = await request(h.app).post(`${SECRETS_URL}?description=x&customerId=${OTHER_ENV}`).set(bearer(ownerToken));
    expect(wrong.status).toBe(400);
    expect(errorEnvelope(wrong.body)).toBe(true);
    expect(
      (await request(h.app).delete(`${SECRETS_URL}?id=${owner.secretId}&customerId=${OTHER_ENV}`).set(bearer(ownerToken))).status,
    ).toBe(400);
    const right = await request(h.app).post(`${SECRETS_URL}?description=C&customerId=${ENV}`).set(bearer(ownerToken));
    expect(right.status).toBe(200);
    expect((await request(h.app).delete(`${SECRETS_URL}?id=${right.body.id}&customerId=${ENV}`).set(bearer(ownerToken))).status).toBe(200);
  });

  it('answers 401 to a subscription key, which is not a client', async () => {
    const key = await h.key(ENV, 'admin');
    const headers = { 'atr-subscription-key': key, 'atr-environment-id': ENV };
    const calls = [
      request(h.app).get(SECRETS_URL).set(headers),
      request(h.app).post(`${SECRETS_URL}?description=k`).set(headers),
      request(h.app).delete(`${SECRETS_URL}?id=${owner.secretId}`).set(headers),
    ];
    for (const call of calls) {
      const res = await call;
      expect(res.status).toBe(401);
      expect(errorEnvelope(res.body)).toBe(true);
    }
  });
});

describe('where secrets must not be', () => {
  it('the database holds only hashes of client secrets and keys, and no log line holds a secret or an access token', async () => {
    const h = harness();
    const secrets: string[] = [];
    const tokens: string[] = [];
    for (const [role, organizationId] of [
      ['admin', null],
      ['reader', null],
      ['admin', 1],
    ] as const) {
      const client = await newClient(h, role, organizationId);
      const token = await tokenFor(h, client.clientId, client.secret);
      secrets.push(client.secret);
      tokens.push(token);
      // every path a secret or a token takes: an API call, a refused one, a failed login, a rotation
      await request(h.app).get(ADMIN_URL).set(bearer(token));
      await request(h.app).get(ADMIN_URL).set(bearer(token, OTHER_ENV));
      await request(h.app)
        .get(ADMIN_URL)
        .set(bearer(`${token.slice(0, -2)}xx`));
      expectOAuthError(await login(h, client.clientId, `${client.secret}-wrong`), 401, 'invalid_client');
      const rotated = await request(h.app).post(`${SECRETS_URL}?description=rotated`).set(bearer(token));
      expect(rotated.status).toBe(200);
      secrets.push(rotated.body.secret);
      tokens.push(await tokenFor(h, client.clientId, rotated.body.secret));
      expect((await request(h.app).delete(`${SECRETS_URL}?id=${client.secretId}`).set(bearer(token))).status).toBe(200);
    }
    const key = await h.key(ENV, 'admin');
    secrets.push(key);
    await request(h.app).get(SECRETS_URL).set({ 'atr-subscription-key': key, 'atr-environment-id': ENV });

    const dump = await db.dump();
    // what is kept is a hash: of the first client's rotated secret (its first one is deleted), of the key
    expect(dump).toContain(hashSecret(secrets[1] as string));
    expect(dump).toContain(hashSecret(key));
    for (const secret of secrets) expect(dump).not.toContain(secret);
    for (const token of tokens) expect(dump).not.toContain(token);
    const logs = h.logText();
    expect(logs).toContain('/api/v1/auth/token');
    for (const secret of secrets) expect(logs).not.toContain(secret);
    for (const token of tokens) {
      expect(logs).not.toContain(token);
      expect(logs).not.toContain(token.split('.')[2]);
    }
  });
});
