import request from 'supertest';
import { createHarness, type Harness } from '../support/harness';
import { useFakeArcgis } from '../support/use-fake-arcgis';

/** SPEC resource table: a static item's optional `server`, answered by the token read so that registerToken() works. */
const ENV = 'env1';
const SERVER = 'https://gis.example.com/portal/sharing/rest';

describe('the server of a static item', () => {
  const arcgis = useFakeArcgis();
  let harness: Harness;
  let admin: string;
  let reader: string;

  beforeAll(async () => {
    harness = createHarness({ arcgisOrigin: arcgis.url, env: { CORS_ALLOWED_ORIGINS: 'https://maps.example.com' } });
    admin = await harness.key(ENV);
    reader = await harness.key(ENV, 'reader');
  });
  afterAll(() => harness.close());

  const put = (items: object[]) =>
    request(harness.app).put('/api/v1/admin/map-tokens').set({ 'atr-environment-id': ENV, 'atr-subscription-key': admin }).send(items);
  const readToken = (id: number) =>
    request(harness.app)
      .get(`/api/v1/map-tokens/${id}/token`)
      .set({ 'atr-environment-id': ENV, 'atr-subscription-key': reader, Origin: 'https://maps.example.com' });

  it('is stored, answered by admin reads and by the token read (with ssl), and replaced or cleared by an update', async () => {
    const created = await put([{ organization_ID: 1, authType: 'static', token: 'static-1', server: SERVER }]).expect(200);
    const item = created.body.result[0];
    expect(item).toMatchObject({ authType: 'static', server: SERVER });
    expect((await readToken(item.mapTokenID).expect(200)).body).toMatchObject({
      token: 'static-1',
      server: SERVER,
      ssl: true,
      expires: null,
    });
    const admin1 = await request(harness.app)
      .get(`/api/v1/admin/map-tokens/${item.mapTokenID}`)
      .set({ 'atr-environment-id': ENV, 'atr-subscription-key': admin })
      .expect(200);
    expect(admin1.body.result[0].server).toBe(SERVER);

    const other = 'https://gis.example.com/arcgis/rest/services';
    expect((await put([{ ...item, server: other }]).expect(200)).body.result[0].server).toBe(other);
    expect((await readToken(item.mapTokenID).expect(200)).body.server).toBe(other);
    const { server: _left, ...withoutServer } = item;
    expect((await put([withoutServer]).expect(200)).body.result[0].server).toBeNull();
    expect((await readToken(item.mapTokenID).expect(200)).body).toMatchObject({ server: null, ssl: false });
  });

  it.each([
    ['plain http', 'http://gis.example.com/arcgis/rest/services'],
    ['not a URL', 'gis.example.com/arcgis'],
    ['empty', ''],
    ['longer than 2048 characters', `https://gis.example.com/${'a'.repeat(2030)}`],
  ])('refuses a server that is %s, naming the item, and stores nothing', async (_what, server) => {
    const before = await request(harness.app)
      .get('/api/v1/admin/map-tokens')
      .set({ 'atr-environment-id': ENV, 'atr-subscription-key': admin });
    const res = await put([{ organization_ID: 1, authType: 'static', token: 'static-2', server }]).expect(400);
    expect(res.body.details.map((d: { path: string }) => d.path)).toContain('/0/server');
    const after = await request(harness.app)
      .get('/api/v1/admin/map-tokens')
      .set({ 'atr-environment-id': ENV, 'atr-subscription-key': admin });
    expect(after.body.total).toBe(before.body.total);
  });

  it('is not checked against AUTH_URL_ALLOWLIST: nothing is fetched from it', async () => {
    const res = await put([
      { organization_ID: 1, authType: 'static', token: 'static-3', server: 'https://floors.internal.example/arcgis/rest/services' },
    ]);
    expect(res.status).toBe(200);
  });

  it('is derived from authURL for agol items (read-only: a server sent with one is ignored, so a GET-modify-PUT round trip works)', async () => {
    const created = await put([
      {
        organization_ID: 1,
        authType: 'agol',
        authKey: 'app',
        authToken: 'secret',
        authURL: arcgis.tokenUrl,
        server: 'https://elsewhere.example.com/x',
      },
    ]).expect(200);
    const item = created.body.result[0];
    expect(item.server).toBe(`${arcgis.url}/sharing/rest`);
    expect((await readToken(item.mapTokenID).expect(200)).body.server).toBe(`${arcgis.url}/sharing/rest`);
    expect((await put([item]).expect(200)).body.result[0].server).toBe(`${arcgis.url}/sharing/rest`);
  });

  it('lets a page on an allowed origin read Retry-After, which the browser client honours', async () => {
    const read = await readToken(1);
    expect(read.headers['access-control-expose-headers']).toMatch(/(^|,)\s*retry-after\s*(,|$)/i);
  });
});
