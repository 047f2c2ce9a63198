import request from 'supertest';
import { SchemaValidator } from '../../src/http/schema-validator';
import { useDatabaseAndArcgis } from '../support/database-and-arcgis';
import { createHarness, type Harness } from '../support/harness';
import { serverlessTokenRead } from '../support/map-token-requests';

const validator = new SchemaValidator({ maxBatch: 100 });
const envelope = validator.compile('map-token-envelope.json');
const errorEnvelope = validator.compile('error.json');

const setup = useDatabaseAndArcgis();
let h: Harness;
let admin: string;
let reader: string;

const ENV = 'atrdemo01us';
const secret = 'cb3793c4272243fdaab1169d2228e442243fdaab1169d2228e4493c4272243fdaab1d2228e448';
const agolItem = (extra: Record<string, unknown> = {}) => ({
  organization_ID: 1,
  authType: 'agol',
  authKey: 'f2f591dcea8345ac8e9af5c9e3757618',
  authToken: secret,
  authTimeout: 60,
  authURL: setup.fake.tokenUrl,
  ...extra,
});
const staticItem = (extra: Record<string, unknown> = {}) => ({
  organization_ID: 1,
  authType: 'static',
  token: 'static-token-value',
  ...extra,
});

const put = (body: unknown, key = admin, env = ENV) =>
  request(h.app)
    .put('/api/v1/admin/map-tokens')
    .set('atr-environment-id', env)
    .set('atr-subscription-key', key)
    .send(body as object);
const get = (path: string, key = admin, env = ENV) =>
  request(h.app).get(path).set('atr-environment-id', env).set('atr-subscription-key', key);

function expectError(res: request.Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(errorEnvelope(res.body)).toBe(true);
  expect(res.body.code).toBe(code);
  expect(res.headers['x-request-id']).toBe(res.body.requestId);
  expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(ts|js):\d+|ER_|sqlMessage/);
}

async function countRows(): Promise<number> {
  const [row] = await setup.db.query<{ n: number }[]>('SELECT COUNT(*) AS n FROM map_tokens');
  return Number(row.n);
}

beforeEach(async () => {
  await setup.db.clear();
  setup.fake.reset();
  h = createHarness({ mysqlUrl: setup.db.url, arcgisOrigin: setup.fake.url, env: { MAX_BATCH: '5', MAX_BODY_BYTES: '4096' } });
  admin = await h.key(ENV, 'admin');
  reader = await h.key(ENV, 'reader');
});
afterEach(() => h.close());

describe('PUT /api/v1/admin/map-tokens', () => {
  it('creates agol and static items in one call and answers the Atrius envelope in request order, without the secret', async () => {
    const res = await put([agolItem(), staticItem({ organization_ID: 2 })]);
    expect(res.status).toBe(200);
    expect(envelope(res.body)).toBe(true);
    expect(res.body).toMatchObject({ count: 2, limit: null, offset: null });
    const [agol, stat] = res.body.result;
    expect(agol).toMatchObject({
      organization_ID: 1,
      authType: 'agol',
      authKey: agolItem().authKey,
      authTimeout: 60,
      authURL: setup.fake.tokenUrl,
    });
    expect(agol.token).toMatch(/^fake-/);
    expect(agol.token_Expire_Date).toBe(new Date(h.clock.now() + 3600_000).toISOString());
    expect(stat).toMatchObject({
      organization_ID: 2,
      authType: 'static',
      token: 'static-token-value',
      token_Expire_Date: null,
      authKey: null,
    });
    expect(JSON.stringify(res.body)).not.toContain(secret);
    expect(res.body.result.every((r: object) => !('authToken' in r))).toBe(true);
    expect(setup.fake.calls).toHaveLength(1);
  });

  it('updates an item by mapTokenID, keeping the stored secret when authToken is omitted and ignoring token fields of agol items', async () => {
    const created = (await put([agolItem()])).body.result[0];
    const round = { ...created, organization_ID: 3, token: 'ignored', token_Expire_Date: '2030-01-01T00:00:00.000Z' };
    const res = await put([round]);
    expect(res.status).toBe(200);
    expect(res.body.result[0]).toMatchObject({ mapTokenID: created.mapTokenID, organization_ID: 3, token: created.token });
    expect(setup.fake.calls).toHaveLength(1); // credentials unchanged: no new ArcGIS call
    const changed = await put([{ ...round, authKey: 'another-client' }]);
    expect(changed.status).toBe(200);
    expect(setup.fake.calls).toHaveLength(2);
    expect(setup.fake.calls[1].params.client_secret).toBe(secret);
  });

  it('turns a static item into an agol one and back', async () => {
    const created = (await put([staticItem()])).body.result[0];
    const missing = await put([{ ...agolItem(), authToken: undefined, mapTokenID: created.mapTokenID }]);
    expectError(missing, 400, 'BadRequest');
    expect(missing.body.details[0].path).toBe('/0/authToken');
    const agol = await put([agolItem({ mapTokenID: created.mapTokenID })]);
    expect(agol.body.result[0]).toMatchObject({ authType: 'agol', mapTokenID: created.mapTokenID });
    const back = await put([staticItem({ mapTokenID: created.mapTokenID, token: 'again' })]);
    expect(back.body.result[0]).toMatchObject({ authType: 'static', token: 'again', authKey: null, authURL: null });
    const [row] = await setup.db.query<{ auth_secret_enc: string | null }[]>('SELECT auth_secret_enc FROM map_tokens');
    expect(row.auth_secret_enc).toBeNull();
  });

  it('refuses unknown properties, wrong types and missing fields with 400 listing every path, storing nothing', async () => {
    const res = await put([
      { ...agolItem(), colour: 'red' },
      { organization_ID: 'one', authType: 'agol' },
      staticItem({ token: undefined }),
    ]);
    expectError(res, 400, 'BadRequest');
    const paths = res.body.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['/0/colour', '/1/organization_ID', '/1/authKey', '/1/authURL', '/2/token']));
    expect(await countRows()).toBe(0);
    expect(setup.fake.calls).toHaveLength(0);
  });

  it.each([
    ['not an array', { organization_ID: 1 }, '/'],
    ['an empty array', [], '/'],
    ['more than MAX_BATCH items', Array.from({ length: 6 }, () => staticItem()), '/'],
    ['a zero id', [staticItem({ mapTokenID: 0 })], '/0/mapTokenID'],
    ['an id beyond int32', [staticItem({ mapTokenID: 2147483648 })], '/0/mapTokenID'],
    ['authTimeout out of range', () => [agolItem({ authTimeout: 20161 })], '/0/authTimeout'],
    ['an unknown authType', [staticItem({ authType: 'oauth' })], '/0/authType'],
    ['a malformed expiry date', [staticItem({ token_Expire_Date: 'tomorrow' })], '/0/token_Expire_Date'],
    ['an expiry date in the past', [staticItem({ token_Expire_Date: '2020-01-01T00:00:00Z' })], '/0/token_Expire_Date'],
    ['a secret on a static item', [staticItem({ authToken: 'x' })], '/0/authToken'],
  ])('answers 400 for %s', async (_name, body, path) => {
    const res = await put(typeof body === 'function' ? body() : body);
    expectError(res, 400, 'BadRequest');
    expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
    expect(await countRows()).toBe(0);
  });

  it('answers 400 when the same mapTokenID appears twice', async () => {
    const created = (await put([staticItem()])).body.result[0];
    const res = await put([staticItem({ mapTokenID: created.mapTokenID }), staticItem({ mapTokenID: created.mapTokenID, token: 'b' })]);
    expectError(res, 400, 'BadRequest');
    expect(res.body.details[0].path).toBe('/1/mapTokenID');
  });

  it('answers 404 for an update of an unknown id and stores none of the batch', async () => {
    const res = await put([staticItem(), staticItem({ mapTokenID: 999 })]);
    expectError(res, 404, 'NotFound');
    expect(res.body.details[0].path).toBe('/1/mapTokenID');
    expect(await countRows()).toBe(0);
  });

  it('stores nothing when ArcGIS rejects one item of a batch', async () => {
    setup.fake.failNext('reject');
    const res = await put([staticItem(), agolItem()]);
    expectError(res, 400, 'BadRequest');
    expect(res.body.msg).toContain('/1');
    expect(res.body.msg).toContain('Invalid client_secret');
    expect(await countRows()).toBe(0);
  });

  it('answers 415 for a body that is not JSON and 400 for malformed JSON, 413 beyond MAX_BODY_BYTES', async () => {
    const base = () => request(h.app).put('/api/v1/admin/map-tokens').set('atr-environment-id', ENV).set('atr-subscription-key', admin);
    expectError(await base().set('Content-Type', 'text/plain').send('[]'), 415, 'UnsupportedMediaType');
    expectError(await base().set('Content-Type', 'application/x-www-form-urlencoded').send('a=b'), 415, 'UnsupportedMediaType');
    expectError(await base().set('Content-Type', 'application/json').send('[{"organization_ID":'), 400, 'BadRequest');
    expectError(await base().set('Content-Type', 'application/json').send('"just a string"'), 400, 'BadRequest');
    expectError(
      await base()
        .set('Content-Type', 'application/json')
        .send(JSON.stringify([staticItem({ token: 'x'.repeat(5000) })])),
      413,
      'PayloadTooLarge',
    );
    expect(await countRows()).toBe(0);
  });
});

describe('GET, list and DELETE', () => {
  it('lists in id order with limit, offset, total and the organization filter', async () => {
    await put([1, 2, 1, 2, 1].map((org) => staticItem({ organization_ID: org })));
    const page = await get('/api/v1/admin/map-tokens?limit=2&offset=1');
    expect(page.status).toBe(200);
    expect(envelope(page.body)).toBe(true);
    expect(page.body).toMatchObject({ count: 2, limit: 2, offset: 1, total: 5 });
    const ids = page.body.result.map((r: { mapTokenID: number }) => r.mapTokenID);
    expect(ids[0]).toBeLessThan(ids[1]);
    const org = await get('/api/v1/admin/map-tokens?organization_ID=2');
    expect(org.body).toMatchObject({ count: 2, total: 2, limit: null, offset: null });
  });

  it.each(['limit=0', 'limit=1001', 'offset=-1', 'limit=abc', 'organization_ID=0', 'limit=1&limit=2', 'organizationID=1'])(
    'answers 400 for the query %s',
    async (query) => {
      expectError(await get(`/api/v1/admin/map-tokens?${query}`), 400, 'BadRequest');
    },
  );

  it('gets one resource in the envelope, and answers 404 or 400 for bad ids', async () => {
    const created = (await put([staticItem()])).body.result[0];
    const one = await get(`/api/v1/admin/map-tokens/${created.mapTokenID}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual({ result: [created], count: 1, limit: null, offset: null });
    expectError(await get('/api/v1/admin/map-tokens/424242'), 404, 'NotFound');
    for (const bad of ['abc', '0', '-1', '1.5', '2147483648', '1e3'])
      expectError(await get(`/api/v1/admin/map-tokens/${bad}`), 400, 'BadRequest');
  });

  it('deletes a resource: 204, then 404, and its secret and token are gone from the database', async () => {
    const created = (await put([agolItem()])).body.result[0];
    const del = () =>
      request(h.app)
        .delete(`/api/v1/admin/map-tokens/${created.mapTokenID}`)
        .set('atr-environment-id', ENV)
        .set('atr-subscription-key', admin);
    const first = await del();
    expect(first.status).toBe(204);
    expect(first.text).toBe('');
    expectError(await del(), 404, 'NotFound');
    expect(await countRows()).toBe(0);
    expectError(await get(`/api/v1/map-tokens/${created.mapTokenID}/token`, reader), 404, 'NotFound');
  });

  it('answers 405 with Allow for a method a route lacks, and 404 for an unknown route', async () => {
    const res = await request(h.app)
      .post('/api/v1/admin/map-tokens')
      .set('atr-environment-id', ENV)
      .set('atr-subscription-key', admin)
      .send([]);
    expectError(res, 405, 'MethodNotAllowed');
    expect(res.headers.allow).toBe('GET, PUT');
    expectError(await request(h.app).patch('/api/v1/admin/map-tokens/1'), 405, 'MethodNotAllowed');
    expectError(await get('/api/v1/admin/nothing-here'), 404, 'NotFound');
  });
});

describe('headers, keys and scoping', () => {
  it('answers 400 for a missing or malformed environment and a malformed partner id or source', async () => {
    expectError(await request(h.app).get('/api/v1/admin/map-tokens').set('atr-subscription-key', admin), 400, 'BadRequest');
    expectError(await get('/api/v1/admin/map-tokens', admin, 'bad env!'), 400, 'BadRequest');
    expectError(await get('/api/v1/admin/map-tokens', admin, 'x'.repeat(65)), 400, 'BadRequest');
    expectError(await get('/api/v1/admin/map-tokens').set('atr-partner-id', 'not-a-guid'), 400, 'BadRequest');
    expectError(await get('/api/v1/admin/map-tokens').set('atr-request-source', 'x'.repeat(257)), 400, 'BadRequest');
    const ok = await get('/api/v1/admin/map-tokens').set('atr-partner-id', '').set('atr-request-source', '');
    expect(ok.status).toBe(200);
    expect((await get('/api/v1/admin/map-tokens').set('atr-partner-id', '2269623a-af6a-419f-b15b-2c8391b50149')).status).toBe(200);
  });

  it('gives the same 401 for a missing, unknown, revoked or other-environment key', async () => {
    const other = await h.key('other-env', 'admin');
    const { row, key: revokedKey } = await h.services.access.createKey(
      { environment: ENV, role: 'admin', organizationId: null, description: null },
      't',
    );
    expect((await get('/api/v1/admin/map-tokens', revokedKey)).status).toBe(200);
    expect(await h.services.access.revokeKey(row.id, 't')).not.toBeNull();
    const answers = await Promise.all([
      request(h.app).get('/api/v1/admin/map-tokens').set('atr-environment-id', ENV),
      get('/api/v1/admin/map-tokens', 'mtp_unknown'),
      get('/api/v1/admin/map-tokens', revokedKey),
      get('/api/v1/admin/map-tokens', other),
    ]);
    for (const res of answers) expectError(res, 401, 'Unauthorized');
    expect(new Set(answers.slice(1).map((r) => r.body.msg)).size).toBe(1);
  });

  it('refuses a reader key on every admin route with 403, and lets it read tokens', async () => {
    const created = (await put([staticItem()])).body.result[0];
    expectError(await put([staticItem()], reader), 403, 'Forbidden');
    expectError(await get('/api/v1/admin/map-tokens', reader), 403, 'Forbidden');
    expectError(await get(`/api/v1/admin/map-tokens/${created.mapTokenID}`, reader), 403, 'Forbidden');
    expectError(
      await request(h.app)
        .delete(`/api/v1/admin/map-tokens/${created.mapTokenID}`)
        .set('atr-environment-id', ENV)
        .set('atr-subscription-key', reader),
      403,
      'Forbidden',
    );
    const token = await get(`/api/v1/map-tokens/${created.mapTokenID}/token`, reader);
    expect(token.status).toBe(200);
    expect(token.body).toEqual(serverlessTokenRead(created.mapTokenID, 'static-token-value'));
  });

  it('keeps environments apart: ids of another environment are 404 and lists never show them', async () => {
    const otherAdmin = await h.key('env-b', 'admin');
    const mine = (await put([staticItem()])).body.result[0];
    const theirs = (await put([staticItem({ token: 'theirs' })], otherAdmin, 'env-b')).body.result[0];
    expectError(await get(`/api/v1/admin/map-tokens/${theirs.mapTokenID}`), 404, 'NotFound');
    expectError(await put([staticItem({ mapTokenID: theirs.mapTokenID })]), 404, 'NotFound');
    expectError(
      await request(h.app)
        .delete(`/api/v1/admin/map-tokens/${theirs.mapTokenID}`)
        .set('atr-environment-id', ENV)
        .set('atr-subscription-key', admin),
      404,
      'NotFound',
    );
    const list = await get('/api/v1/admin/map-tokens');
    expect(list.body.result.map((r: { mapTokenID: number }) => r.mapTokenID)).toEqual([mine.mapTokenID]);
    expect((await get(`/api/v1/admin/map-tokens/${theirs.mapTokenID}`, otherAdmin, 'env-b')).body.result[0].token).toBe('theirs');
  });

  it('limits an organization-bound key to its organization: others are 404 to read and 403 to write', async () => {
    const org7 = await h.key(ENV, 'admin', 7);
    const org7reader = await h.key(ENV, 'reader', 7);
    const [own, foreign] = (await put([staticItem({ organization_ID: 7 }), staticItem({ organization_ID: 8 })])).body.result;
    const list = await get('/api/v1/admin/map-tokens', org7);
    expect(list.body.result.map((r: { mapTokenID: number }) => r.mapTokenID)).toEqual([own.mapTokenID]);
    expect((await get('/api/v1/admin/map-tokens?organization_ID=8', org7)).body).toMatchObject({ total: 0, count: 0 });
    expectError(await get(`/api/v1/admin/map-tokens/${foreign.mapTokenID}`, org7), 404, 'NotFound');
    expectError(await get(`/api/v1/map-tokens/${foreign.mapTokenID}/token`, org7reader), 404, 'NotFound');
    expect((await get(`/api/v1/map-tokens/${own.mapTokenID}/token`, org7reader)).status).toBe(200);
    expectError(await put([staticItem({ organization_ID: 8 })], org7), 403, 'Forbidden');
    expectError(await put([staticItem({ organization_ID: 7, mapTokenID: foreign.mapTokenID })], org7), 404, 'NotFound');
    expectError(
      await request(h.app)
        .delete(`/api/v1/admin/map-tokens/${foreign.mapTokenID}`)
        .set('atr-environment-id', ENV)
        .set('atr-subscription-key', org7),
      404,
      'NotFound',
    );
    expect(await countRows()).toBe(2);
  });

  it('reuses a safe incoming x-request-id and records the actor and request id in the audit trail', async () => {
    const res = await put([staticItem()]).set('x-request-id', 'trace-123').set('atr-request-source', 'floor-admin-script');
    expect(res.headers['x-request-id']).toBe('trace-123');
    const events = await h.auditEvents(ENV);
    expect(events.filter((e) => e.resourceType === 'map_token')).toEqual([
      expect.objectContaining({ action: 'create', actor: 'floor-admin-script', requestId: 'trace-123', environment: ENV }),
    ]);
    const unsafe = await get('/api/v1/admin/map-tokens').set('x-request-id', 'bad id with spaces');
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const longest = 'r'.repeat(128);
    expect((await get('/api/v1/admin/map-tokens').set('x-request-id', longest)).headers['x-request-id']).toBe(longest);
    const tooLong = await get('/api/v1/admin/map-tokens/0').set('x-request-id', 'r'.repeat(129));
    expect(tooLong.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(tooLong.body.requestId).toBe(tooLong.headers['x-request-id']);
  });
});

describe('secrets at rest and in logs', () => {
  it('keeps no plaintext client secret, token or subscription key in any table or log line', async () => {
    const res = await put([agolItem(), staticItem({ token: 'a-static-token-that-is-secret' })]);
    const issued = res.body.result[0].token as string;
    await get(`/api/v1/map-tokens/${res.body.result[0].mapTokenID}/token`, reader);
    const dump = await setup.db.dump();
    for (const plaintext of [secret, issued, 'a-static-token-that-is-secret', admin, reader]) {
      expect(dump).not.toContain(plaintext);
      expect(h.logText()).not.toContain(plaintext);
    }
    expect(dump).toContain('v1.'); // the sealed values are there
  });
});
