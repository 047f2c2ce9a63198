import request from 'supertest';
import { createHarness, type Harness } from '../support/harness';
import { putStaticToken } from '../support/map-token-requests';

/**
 * SPEC routes table: the token read carries CORS for CORS_ALLOWED_ORIGINS only, preflight included;
 * never `*`, and nothing at all when the variable is unset. The embedded store is enough here.
 */

const ENV = 'env1';
const ALLOWED = 'https://maps.example.com';
const STRANGER = 'https://evil.example.com';

interface Instance {
  harness: Harness;
  reader: string;
  id: number;
}

let withCors: Instance;
let withoutCors: Instance;

/** A harness with one static map token and a reader key for it. */
async function instance(env: Record<string, string>): Promise<Instance> {
  const harness = createHarness({ env });
  const admin = await harness.key(ENV);
  const reader = await harness.key(ENV, 'reader');
  return { harness, reader, id: await putStaticToken(harness.app, ENV, admin, 'static-cors-token') };
}

function preflight({ harness, id }: Instance, origin: string) {
  return request(harness.app)
    .options(`/api/v1/map-tokens/${id}/token`)
    .set('Origin', origin)
    .set('Access-Control-Request-Method', 'GET')
    .set('Access-Control-Request-Headers', 'atr-environment-id,atr-subscription-key');
}

function read({ harness, id, reader }: Instance, origin: string) {
  return request(harness.app)
    .get(`/api/v1/map-tokens/${id}/token`)
    .set('Origin', origin)
    .set('atr-environment-id', ENV)
    .set('atr-subscription-key', reader);
}

function allowedHeaders(res: request.Response): string[] {
  return String(res.headers['access-control-allow-headers'] ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase());
}

beforeAll(async () => {
  withCors = await instance({ CORS_ALLOWED_ORIGINS: ALLOWED });
  withoutCors = await instance({});
});

afterAll(async () => {
  await withCors.harness.close();
  await withoutCors.harness.close();
});

describe('with CORS_ALLOWED_ORIGINS set', () => {
  test('a preflight from a listed origin answers 204, echoes the origin and allows the atr headers', async () => {
    const res = await preflight(withCors, ALLOWED);

    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(allowedHeaders(res)).toEqual(expect.arrayContaining(['atr-environment-id', 'atr-subscription-key']));
    expect(String(res.headers['access-control-allow-methods'])).toContain('GET');
    expect(String(res.headers.vary)).toMatch(/origin/i);
  });

  test('a token read from a listed origin carries Access-Control-Allow-Origin with that origin', async () => {
    const res = await read(withCors, ALLOWED);

    expect(res.status).toBe(200);
    expect(res.body.token).toBe('static-cors-token');
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  test('a preflight from an origin not listed gets no Access-Control-Allow-Origin', async () => {
    const res = await preflight(withCors, STRANGER);

    expect(res.status).toBe(204);
    expect(res.headers).not.toHaveProperty('access-control-allow-origin');
  });

  test('a token read from an origin not listed gets no Access-Control-Allow-Origin', async () => {
    const res = await read(withCors, STRANGER);

    expect(res.headers).not.toHaveProperty('access-control-allow-origin');
  });

  test('no answer, preflight or read, from any origin says *', async () => {
    const answers = await Promise.all([
      preflight(withCors, ALLOWED),
      preflight(withCors, STRANGER),
      read(withCors, ALLOWED),
      read(withCors, STRANGER),
      preflight(withCors, 'null'),
      read(withCors, 'null'),
    ]);
    for (const res of answers) expect(res.headers['access-control-allow-origin']).not.toBe('*');
  });
});

describe('without CORS_ALLOWED_ORIGINS', () => {
  test('neither a preflight nor a token read carries Access-Control-Allow-Origin, whatever the origin', async () => {
    const answers = await Promise.all([
      preflight(withoutCors, ALLOWED),
      preflight(withoutCors, STRANGER),
      read(withoutCors, ALLOWED),
      read(withoutCors, STRANGER),
    ]);
    for (const res of answers) {
      expect(res.status).toBeLessThan(500);
      expect(res.headers).not.toHaveProperty('access-control-allow-origin');
    }
    expect(answers[2].status).toBe(200);
  });
});

test('no other route answers CORS, even to an allowed origin', async () => {
  const admin = await withCors.harness.key(ENV);
  const answers = await Promise.all([
    request(withCors.harness.app).options('/api/v1/admin/map-tokens').set('Origin', ALLOWED).set('Access-Control-Request-Method', 'PUT'),
    request(withCors.harness.app)
      .get('/api/v1/admin/map-tokens')
      .set('Origin', ALLOWED)
      .set('atr-environment-id', ENV)
      .set('atr-subscription-key', admin),
    request(withCors.harness.app).options('/api/v1/auth/token').set('Origin', ALLOWED).set('Access-Control-Request-Method', 'POST'),
    request(withCors.harness.app)
      .post('/api/v1/auth/token')
      .set('Origin', ALLOWED)
      .type('form')
      .send({ grant_type: 'client_credentials', client_id: 'x', client_secret: 'y' }),
    request(withCors.harness.app).get('/healthz').set('Origin', ALLOWED),
  ]);
  expect(answers[1].status).toBe(200);
  for (const res of answers) expect(res.headers).not.toHaveProperty('access-control-allow-origin');
});
