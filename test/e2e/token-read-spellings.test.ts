import request from 'supertest';
import { createHarness, type Harness } from '../support/harness';
import { putStaticToken } from '../support/map-token-requests';

/**
 * The token read answers the same on every spelling of its path, through both of its entrances (the
 * fast path in front of Express takes the usual spelling, the router every other one): never a 304,
 * one rule for leading zeros in path ids; and the report's body limits say what they are.
 */

const ENV = 'spellings';

let h: Harness;
let reader: string;
let admin: string;
let id: number;

beforeAll(async () => {
  h = createHarness();
  admin = await h.key(ENV);
  reader = await h.key(ENV, 'reader');
  id = await putStaticToken(h.app, ENV, admin, 'spelled-token', '2099-01-01T00:00:00.000Z');
});
afterAll(() => h.close());

/** The usual spelling (the fast path) and spellings that go through the router. */
const spellings = (value: string | number) => [
  `/api/v1/map-tokens/${value}/token`,
  `/api/v1/map-tokens/${value}/token/`,
  `/API/v1/Map-Tokens/${value}/TOKEN`,
  `/api/v1/MAP-TOKENS/${value}/token/?x=1`,
  `/api/v1/map-tokens/${value}/token?`,
];

const CONDITIONAL: Record<string, string>[] = [
  { 'If-None-Match': '*' },
  { 'If-None-Match': '"anything", *' },
  { 'If-Modified-Since': 'Fri, 01 Jan 2100 00:00:00 GMT' },
  { 'If-Modified-Since': 'Thu, 01 Jan 1970 00:00:00 GMT', 'If-None-Match': '*' },
  { 'If-Match': '"x"', 'If-Unmodified-Since': 'Thu, 01 Jan 1970 00:00:00 GMT' },
  { 'If-Range': '"x"', Range: 'bytes=0-1' },
];

describe('conditional headers are ignored by the token read', () => {
  it.each(CONDITIONAL.map((headers) => [JSON.stringify(headers), headers]))(
    '%s: every spelling of GET answers 200 with the token and no-store',
    async (_name, headers) => {
      for (const path of spellings(id)) {
        const res = await request(h.app)
          .get(path)
          .set({ 'atr-environment-id': ENV, 'atr-subscription-key': reader, ...headers });
        expect({ path, status: res.status }).toEqual({ path, status: 200 });
        expect(res.body).toMatchObject({ mapTokenID: id, token: 'spelled-token' });
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.headers.etag).toBeUndefined();
        expect(res.headers['last-modified']).toBeUndefined();
      }
    },
  );

  it('HEAD and the rejected-token report answer 200 with conditional headers too', async () => {
    for (const path of spellings(id)) {
      const head = await request(h.app).head(path).set({ 'atr-environment-id': ENV, 'atr-subscription-key': reader, 'If-None-Match': '*' });
      expect({ path, status: head.status }).toEqual({ path, status: 200 });
      const post = await request(h.app)
        .post(path)
        .set({ 'atr-environment-id': ENV, 'atr-subscription-key': reader, 'If-None-Match': '*' })
        .send({ rejected: 'not-the-token' });
      expect({ path, status: post.status }).toEqual({ path, status: 200 });
      expect(post.body.token).toBe('spelled-token');
    }
  });
});

describe('one rule for leading zeros in path ids: refused (400) everywhere', () => {
  const zeros = (value: number) => [`0${value}`, `00000000${value}`, `0000000000${value}`];

  it('on both entrances of the token read (GET, POST, OPTIONS)', async () => {
    for (const value of zeros(id)) {
      for (const path of spellings(value)) {
        const get = await request(h.app).get(path).set({ 'atr-environment-id': ENV, 'atr-subscription-key': reader });
        expect({ path, status: get.status, code: get.body.code }).toEqual({ path, status: 400, code: 'BadRequest' });
        const post = await request(h.app)
          .post(path)
          .set({ 'atr-environment-id': ENV, 'atr-subscription-key': reader })
          .send({ rejected: 'x' });
        expect({ path, status: post.status }).toEqual({ path, status: 400 });
        const preflight = await request(h.app)
          .options(path)
          .set('Origin', 'https://maps.example.com')
          .set('Access-Control-Request-Method', 'GET');
        expect({ path, status: preflight.status }).toEqual({ path, status: 400 });
      }
    }
  });

  it('on the admin GET and DELETE, which leave the resource in place', async () => {
    for (const value of zeros(id)) {
      for (const path of [`/api/v1/admin/map-tokens/${value}`, `/api/v1/admin/map-tokens/${value}/`]) {
        const get = await request(h.app).get(path).set({ 'atr-environment-id': ENV, 'atr-subscription-key': admin });
        expect({ path, status: get.status }).toEqual({ path, status: 400 });
        const del = await request(h.app).delete(path).set({ 'atr-environment-id': ENV, 'atr-subscription-key': admin });
        expect({ path, status: del.status }).toEqual({ path, status: 400 });
      }
    }
    const still = await request(h.app)
      .get(`/api/v1/admin/map-tokens/${id}`)
      .set({ 'atr-environment-id': ENV, 'atr-subscription-key': admin });
    expect(still.status).toBe(200);
  });
});

describe('bodies of the rejected-token report', () => {
  const report = () =>
    request(h.app).post(`/api/v1/map-tokens/${id}/token`).set({ 'atr-environment-id': ENV, 'atr-subscription-key': reader });

  it('a body over 16 KiB answers 413 naming that cap, not MAX_BODY_BYTES', async () => {
    const res = await report().send({ rejected: 'x'.repeat(17 * 1024) });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('PayloadTooLarge');
    expect(res.body.msg).toContain('16 KiB');
    expect(res.body.msg).not.toContain('MAX_BODY_BYTES');
  });

  it.each(['utf-16', 'UTF-16LE', 'latin1', 'iso-8859-1', 'utf-32', '"utf-16"'])('charset=%s answers 415', async (charset) => {
    const body = Buffer.from(JSON.stringify({ rejected: 'spelled-token' }), charset.includes('16') ? 'utf16le' : 'latin1');
    const res = await report().set('Content-Type', `application/json; charset=${charset}`).send(body);
    expect(res.status).toBe(415);
    expect(res.body.code).toBe('UnsupportedMediaType');
  });

  it('charset=utf-8 (any letter case) is read', async () => {
    const res = await report()
      .set('Content-Type', 'application/json; Charset=UTF-8')
      .send(JSON.stringify({ rejected: 'nope' }));
    expect(res.status).toBe(200);
  });

  it('a PUT over MAX_BODY_BYTES still names MAX_BODY_BYTES, and charset=utf-16 is 415 there too', async () => {
    const small = createHarness({ env: { MAX_BODY_BYTES: '1024' } });
    try {
      const key = await small.key(ENV);
      const big = await request(small.app)
        .put('/api/v1/admin/map-tokens')
        .set({ 'atr-environment-id': ENV, 'atr-subscription-key': key })
        .send([{ organization_ID: 1, authType: 'static', token: 'x'.repeat(2048) }]);
      expect(big.status).toBe(413);
      expect(big.body.msg).toContain('MAX_BODY_BYTES (1024 bytes)');
      const utf16 = await request(small.app)
        .put('/api/v1/admin/map-tokens')
        .set({ 'atr-environment-id': ENV, 'atr-subscription-key': key, 'Content-Type': 'application/json; charset=utf-16' })
        .send(Buffer.from('[]', 'utf16le'));
      expect(utf16.status).toBe(415);
    } finally {
      await small.close();
    }
  });
});
