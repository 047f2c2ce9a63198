import request from 'supertest';
import { createHarness, type Harness } from '../support/harness';
import { putStaticToken } from '../support/map-token-requests';

/**
 * A 304 comes only with a validator: the browser module, which sends an ETag, is revalidated; every other
 * answer (the admin API's no-store JSON, health, metrics, the OpenAPI document and the docs page) carries
 * none, so `If-None-Match: *` must not turn it into an empty 304. The token read has its own test
 * (token-read-spellings).
 */

const ENV = 'conditional';
const ANY = { 'If-None-Match': '*' };

let h: Harness;
let admin: string;
let id: number;

beforeAll(async () => {
  h = createHarness();
  admin = await h.key(ENV);
  id = await putStaticToken(h.app, ENV, admin, 'conditional-token', '2099-01-01T00:00:00.000Z');
});
afterAll(() => h.close());

describe('If-None-Match: * on answers without a validator', () => {
  it('the admin GET, its HEAD and the list answer 200 with their body', async () => {
    const keyed = () => ({ 'atr-environment-id': ENV, 'atr-subscription-key': admin, ...ANY });
    const one = await request(h.app).get(`/api/v1/admin/map-tokens/${id}`).set(keyed());
    expect(one.status).toBe(200);
    expect(one.body.result).toMatchObject([{ mapTokenID: id, token: 'conditional-token' }]);
    expect(one.headers.etag).toBeUndefined();
    await request(h.app).head(`/api/v1/admin/map-tokens/${id}`).set(keyed()).expect(200);
    const list = await request(h.app).get('/api/v1/admin/map-tokens').set(keyed());
    expect(list.status).toBe(200);
    expect(list.body.count).toBeGreaterThanOrEqual(1);
  });

  it.each(['/healthz', '/readyz', '/metrics', '/api/v1/openapi.json', '/docs', '/docs/assets/swagger-ui.css', '/favicon.ico'])(
    '%s answers 200 with its body',
    async (path) => {
      const res = await request(h.app).get(path).set(ANY);
      expect(res.status).toBe(200);
      expect(Number(res.headers['content-length'])).toBeGreaterThan(0);
    },
  );
});

describe('the browser module, which has an ETag, is still revalidated', () => {
  it('answers 304 to its ETag and to *, 200 to another', async () => {
    const path = '/client/map-token-client.js';
    const { etag } = (await request(h.app).get(path).expect(200)).headers;
    await request(h.app)
      .get(path)
      .set('If-None-Match', etag as string)
      .expect(304);
    await request(h.app).get(path).set(ANY).expect(304);
    await request(h.app).get(path).set('If-None-Match', '"another"').expect(200);
  });
});
