import request from 'supertest';
import { MAX_SECRETS_PER_CLIENT } from '../../src/services/client-credentials-service';
import { SchemaValidator } from '../../src/http/schema-validator';
import { TOKEN_REQUEST_TOO_LARGE } from '../../src/http/routes/auth';
import { createHarness, type Harness } from '../support/harness';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/** Findings of the hardening review that each need a route, a header or a query to show. */

const ENV = 'hard-env';
const ALLOWED = 'https://maps.example.com';
const errorEnvelope = new SchemaValidator({ maxBatch: 100 }).compile('error.json');

let db: TestDatabase;
const harnesses: Harness[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  for (const h of harnesses) await h.close();
  await db.drop();
});

function harness(options: Parameters<typeof createHarness>[0] = {}): Harness {
  const h = createHarness(options);
  harnesses.push(h);
  return h;
}

function expectError(res: request.Response, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.body).toMatchObject({ code, requestId: res.headers['x-request-id'] });
  expect(errorEnvelope(res.body)).toBe(true);
}

async function accessToken(h: Harness): Promise<{ token: string; clientId: string }> {
  const { client, secret } = await h.services.clients.createClient(
    { environment: ENV, role: 'admin', organizationId: null, description: 'hardening' },
    'test',
  );
  const res = await request(h.app)
    .post('/api/v1/auth/token')
    .type('form')
    .send({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: secret });
  expect(res.status).toBe(200);
  return { token: res.body.access_token, clientId: client.clientId };
}

describe('a CORS preflight checks the path id like the read it precedes', () => {
  let h: Harness;
  beforeAll(() => {
    h = harness({ env: { CORS_ALLOWED_ORIGINS: ALLOWED } });
  });
  const preflight = (id: string) =>
    request(h.app).options(`/api/v1/map-tokens/${id}/token`).set('Origin', ALLOWED).set('Access-Control-Request-Method', 'GET');

  it.each(['2147483648', 'AAA', '0.5', '0', '-1'])(
    'OPTIONS /api/v1/map-tokens/%s/token from an allowed origin answers 400 (a failed preflight), never 204',
    async (id) => {
      const res = await preflight(id);
      expectError(res, 400, 'BadRequest');
      expect(res.headers['access-control-allow-methods']).toBe('GET,POST');
    },
  );

  it('a read of a malformed id from an allowed origin carries CORS headers, so that the page can read the 400', async () => {
    const res = await request(h.app).get('/api/v1/map-tokens/AAA/token').set('Origin', ALLOWED).set('atr-environment-id', ENV);
    expectError(res, 400, 'BadRequest');
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
  });

  it('a preflight for a valid id from an allowed origin still answers 204 with CORS headers', async () => {
    const res = await preflight('2147483647');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
  });
});

describe('the Authorization scheme is case-insensitive (RFC 6750, RFC 9110 section 11.1)', () => {
  let h: Harness;
  let token: string;
  beforeAll(async () => {
    h = harness();
    ({ token } = await accessToken(h));
  });

  it.each(['bearer', 'BEARER', 'bEaReR', 'Bearer'])('"%s <jwt>" is accepted on the admin API', async (scheme) => {
    const res = await request(h.app)
      .get('/api/v1/admin/map-tokens')
      .set({ 'atr-environment-id': ENV, authorization: `${scheme} ${token}` });
    expect(res.status).toBe(200);
  });

  it('another scheme is still refused with 401', async () => {
    const res = await request(h.app)
      .get('/api/v1/admin/map-tokens')
      .set({ 'atr-environment-id': ENV, authorization: `Bearerx ${token}` });
    expectError(res, 401, 'Unauthorized');
  });
});

describe('the token endpoint refuses a body over its 16 KiB cap with 400 invalid_request naming the cap (RFC 6749)', () => {
  it.each<[string, string, string]>([
    ['form', 'application/x-www-form-urlencoded', `grant_type=client_credentials&client_id=${'x'.repeat(17 * 1024)}`],
    ['JSON', 'application/json', JSON.stringify({ grant_type: 'client_credentials', client_id: 'x'.repeat(17 * 1024) })],
  ])('a %s body over 16 KiB answers 400 invalid_request naming the cap', async (_kind, type, body) => {
    const h = harness();
    const res = await request(h.app).post('/api/v1/auth/token').set('Content-Type', type).send(body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_request', error_description: TOKEN_REQUEST_TOO_LARGE });
    expect(TOKEN_REQUEST_TOO_LARGE).toContain('16 KiB');
    expect(res.headers['cache-control']).toBe('no-store');
  });
});

describe('query parameters that name Object.prototype members', () => {
  let h: Harness;
  let admin: string;
  beforeAll(async () => {
    h = harness();
    admin = await h.key(ENV);
  });

  it.each(['__proto__', 'constructor', 'hasOwnProperty', '__proto__[x]'])('?%s=1 on the list route answers 400 naming it', async (name) => {
    const res = await request(h.app)
      .get(`/api/v1/admin/map-tokens?${encodeURIComponent(name)}=1`)
      .set({ 'atr-environment-id': ENV, 'atr-subscription-key': admin });
    expectError(res, 400, 'BadRequest');
    expect(JSON.stringify(res.body.details)).toContain(name);
  });

  it('?__proto__=1 on the secret routes answers 400 too', async () => {
    const { token } = await accessToken(h);
    const res = await request(h.app)
      .post('/api/v1/auth/clientcredentials?__proto__=1')
      .set({ 'atr-environment-id': ENV, authorization: `Bearer ${token}` });
    expectError(res, 400, 'BadRequest');
  });
});

describe.each([
  ['embedded store', () => harness()],
  ['MySQL store', () => harness({ mysqlUrl: db.url })],
])('secrets per client (%s)', (_name, make) => {
  let h: Harness;
  beforeAll(() => {
    h = make();
  });

  it(`a client holds at most ${MAX_SECRETS_PER_CLIENT} secrets: one more answers 409 and stores nothing; after a delete it may create again`, async () => {
    const { token } = await accessToken(h);
    const auth = { 'atr-environment-id': ENV, authorization: `Bearer ${token}` };
    const create = () => request(h.app).post('/api/v1/auth/clientcredentials?description=rotation').set(auth);
    // the client starts with its initial secret
    const created: string[] = [];
    for (let i = 1; i < MAX_SECRETS_PER_CLIENT; i++) {
      const res = await create();
      expect(res.status).toBe(200);
      created.push(res.body.id);
    }
    const refused = await create();
    expectError(refused, 409, 'Conflict');
    expect(refused.body).not.toHaveProperty('secret');
    expect((await request(h.app).get('/api/v1/auth/clientcredentials').set(auth)).body).toHaveLength(MAX_SECRETS_PER_CLIENT);

    expect((await request(h.app).delete(`/api/v1/auth/clientcredentials?id=${created[0]}`).set(auth)).status).toBe(200);
    expect((await create()).status).toBe(200);
    expectError(await create(), 409, 'Conflict');
  });

  it(`concurrent creates never leave a client with more than ${MAX_SECRETS_PER_CLIENT} secrets`, async () => {
    const { token } = await accessToken(h);
    const auth = { 'atr-environment-id': ENV, authorization: `Bearer ${token}` };
    const answers = await Promise.all(
      Array.from({ length: MAX_SECRETS_PER_CLIENT + 5 }, () => request(h.app).post('/api/v1/auth/clientcredentials').set(auth)),
    );
    expect(answers.filter((res) => res.status === 200)).toHaveLength(MAX_SECRETS_PER_CLIENT - 1);
    expect(answers.filter((res) => res.status === 409)).toHaveLength(6);
    expect((await request(h.app).get('/api/v1/auth/clientcredentials').set(auth)).body).toHaveLength(MAX_SECRETS_PER_CLIENT);
  });
});
