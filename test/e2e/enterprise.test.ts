import request from 'supertest';
import { SchemaValidator } from '../../src/http/schema-validator';
import {
  FAKE_ARCGIS_PORTAL_GENERATE_TOKEN_PATH,
  FAKE_ARCGIS_SERVER_GENERATE_TOKEN_PATH,
  FAKE_ARCGIS_TOKEN_PATH,
  type FakeArcgisMode,
} from '../support/fake-arcgis';
import { FakeClock } from '../support/fake-clock';
import { createHarness, type Harness } from '../support/harness';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { captureLogs } from '../support/captured-logs';
import { useFakeArcgis } from '../support/use-fake-arcgis';
import { getMapTokens, putMapTokens, readMapToken } from '../support/map-token-requests';

/**
 * enterprise items (a named user of an ArcGIS Enterprise portal or a standalone ArcGIS Server, through
 * generateToken), end to end over HTTP, on the MySQL store and a local ArcGIS stand-in.
 */

const ENV = 'env-enterprise';
const USER = 'indoors_viewer';
const PASSWORD = 'Pw-enterprise-5kQ9!zx';
const CLIENT_ID = 'app-client-id';
const CLIENT_SECRET = 'client-secret-3Jd8';
const REFERER = 'https://maps.example.com';

const validator = new SchemaValidator({ maxBatch: 100 });
const envelope = validator.compile('map-token-envelope.json');

const fake = useFakeArcgis({ users: { [USER]: PASSWORD }, credentials: { [CLIENT_ID]: CLIENT_SECRET } });
const other = useFakeArcgis({ users: { [USER]: PASSWORD } });
let db: TestDatabase;
let clock: FakeClock;
let h: Harness;
let admin: string;
let reader: string;

const enterprise = (extra: Record<string, unknown> = {}) => ({
  organization_ID: 1,
  authType: 'enterprise',
  authKey: USER,
  authToken: PASSWORD,
  authTimeout: 60,
  authURL: fake.portalTokenUrl,
  authReferer: REFERER,
  ...extra,
});
const agol = (extra: Record<string, unknown> = {}) => ({
  organization_ID: 1,
  authType: 'agol',
  authKey: CLIENT_ID,
  authToken: CLIENT_SECRET,
  authTimeout: 60,
  authURL: fake.tokenUrl,
  ...extra,
});
/** The form generateToken receives for enterprise(): a portal, the stored referer, 60 minutes. */
const PORTAL_FORM = { username: USER, password: PASSWORD, client: 'referer', referer: REFERER, expiration: '60', f: 'json' };
const staticItem = (extra: Record<string, unknown> = {}) => ({ organization_ID: 1, authType: 'static', token: 'static-token', ...extra });
const without = (item: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(item).filter(([k]) => k !== key));

const put = (body: unknown, app = h) => putMapTokens(app.app, ENV, admin, body);
const readToken = (id: number) => readMapToken(h.app, ENV, reader, id);
const getOne = (id: number) => getMapTokens(h.app, ENV, admin, `/${id}`);

async function countRows(): Promise<number> {
  const [row] = await db.query<{ n: number }[]>('SELECT COUNT(*) AS n FROM map_tokens');
  return Number(row.n);
}

function expectNoPasswordAnywhere(...texts: string[]): void {
  for (const text of [...texts, h.logText()]) expect(text).not.toContain(PASSWORD);
}

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});
beforeEach(async () => {
  await db.clear();
  clock = new FakeClock();
  fake.now = () => clock.now();
  other.now = () => clock.now();
  h = createHarness({ mysqlUrl: db.url, clock, env: { AUTH_URL_ALLOWLIST: `${fake.url},${other.url}` } });
  admin = await h.key(ENV, 'admin');
  reader = await h.key(ENV, 'reader');
});
afterEach(() => h.close());

describe('creating enterprise items', () => {
  it('fetches a token from a portal and from a server with the exact form, and answers them without the password', async () => {
    const res = await put([enterprise(), enterprise({ authURL: fake.serverTokenUrl, authReferer: null, authTimeout: null })]);

    expect(res.status).toBe(200);
    expect(envelope(res.body)).toBe(true);
    const [portal, server] = res.body.result;
    expect(portal).toMatchObject({
      authType: 'enterprise',
      authKey: USER,
      authTimeout: 60,
      authURL: fake.portalTokenUrl,
      authReferer: REFERER,
    });
    expect(server).toMatchObject({
      authType: 'enterprise',
      authKey: USER,
      authTimeout: null,
      authURL: fake.serverTokenUrl,
      authReferer: null,
    });
    expect(portal.token).toMatch(/^fake-/);
    // expires is epoch milliseconds: 60 minutes asked, 60 minutes granted; ArcGIS's default (here 2 hours) without
    expect(portal.token_Expire_Date).toBe(new Date(clock.now() + 3_600_000).toISOString());
    expect(server.token_Expire_Date).toBe(new Date(clock.now() + 7_200_000).toISOString());
    expect(res.body.result.every((r: object) => !('authToken' in r))).toBe(true);
    expectNoPasswordAnywhere(JSON.stringify(res.body));

    const byPath = new Map(fake.calls.map((call) => [call.path, call]));
    expect(fake.calls).toHaveLength(2);
    expect(byPath.get(FAKE_ARCGIS_PORTAL_GENERATE_TOKEN_PATH)?.params).toEqual(PORTAL_FORM);
    expect(byPath.get(FAKE_ARCGIS_SERVER_GENERATE_TOKEN_PATH)?.params).toEqual({
      username: USER,
      password: PASSWORD,
      client: 'requestip',
      f: 'json',
    });
    expect(fake.calls.every((call) => call.query === '' && call.contentType === 'application/x-www-form-urlencoded')).toBe(true);
  });

  it('when the portal rejects the password, answers 400 quoting ArcGIS and stores none of the batch', async () => {
    const res = await put([staticItem(), enterprise({ authToken: 'wrong-password-1' })]);

    expect(res.status).toBe(400);
    expect(res.body.code).toBe('BadRequest');
    expect(res.body.msg).toBe(
      'ArcGIS rejected the credentials of item /1: Unable to generate token. Invalid username or password.; nothing was stored.',
    );
    expect(res.body.details).toEqual([
      { path: '/1', message: 'ArcGIS rejected the credentials: Unable to generate token. Invalid username or password.' },
    ]);
    expect(JSON.stringify(res.body)).not.toContain('wrong-password-1');
    expect(h.logText()).not.toContain('wrong-password-1');
    expect(await countRows()).toBe(0);
  });

  it.each<[FakeArcgisMode, number, string]>([
    ['http-500', 502, 'BadGateway'],
    ['error-200-500', 502, 'BadGateway'],
    ['html', 502, 'BadGateway'],
    ['missing-token', 502, 'BadGateway'],
    ['redirect', 502, 'BadGateway'],
    ['reset', 502, 'BadGateway'],
    ['hang', 504, 'GatewayTimeout'],
  ])('when the portal fails with %s, answers %i and stores nothing', async (mode, status, code) => {
    fake.mode = mode;

    const res = await put([staticItem(), enterprise()]);

    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    expect(res.body.msg).toMatch(/^Could not get a token for item \/1: .*; nothing was stored\.$/);
    expectNoPasswordAnywhere(JSON.stringify(res.body));
    expect(await countRows()).toBe(0);
  });

  it.each([
    ['an agol item', () => agol({ authReferer: REFERER })],
    ['a static item', () => staticItem({ authReferer: REFERER })],
  ])('refuses authReferer on %s', async (_what, item) => {
    const res = await put([item()]);

    expect(res.status).toBe(400);
    expect(res.body.details.map((d: { path: string }) => d.path)).toContain('/0/authReferer');
    expect(fake.calls).toHaveLength(0);
  });

  it('needs the password on create and a user name and authURL always', async () => {
    const res = await put([without(enterprise(), 'authToken'), without(enterprise(), 'authKey'), without(enterprise(), 'authURL')]);

    expect(res.status).toBe(400);
    expect(res.body.details.map((d: { path: string }) => d.path)).toEqual(
      expect.arrayContaining(['/0/authToken', '/1/authKey', '/2/authURL']),
    );
    expect(fake.calls).toHaveLength(0);
  });
});

describe('updating enterprise items', () => {
  it('keeps the stored password when authToken is omitted, and asks ArcGIS again only when the credentials change', async () => {
    const created = (await put([enterprise()])).body.result[0];
    const round = { ...created, organization_ID: 2, token: 'ignored', token_Expire_Date: '2030-01-01T00:00:00.000Z' };

    const same = await put([round]);
    expect(same.status).toBe(200);
    expect(same.body.result[0]).toMatchObject({ organization_ID: 2, token: created.token, authReferer: REFERER });
    expect(fake.calls).toHaveLength(1);

    const newReferer = await put([{ ...round, authReferer: 'https://floors.example.com' }]);
    expect(newReferer.status).toBe(200);
    expect(fake.calls).toHaveLength(2);
    expect(fake.calls[1].params).toMatchObject({ password: PASSWORD, client: 'referer', referer: 'https://floors.example.com' });

    const requestIp = await put([{ ...round, authReferer: null, authTimeout: 30 }]);
    expect(requestIp.body.result[0]).toMatchObject({ authReferer: null, authTimeout: 30 });
    expect(fake.calls[2].params).toEqual({ username: USER, password: PASSWORD, client: 'requestip', expiration: '30', f: 'json' });
  });

  it('needs the password again to move authURL to another origin, and sends the stored one nowhere else', async () => {
    const created = (await put([enterprise()])).body.result[0];

    const moved = await put([{ ...created, authURL: other.portalTokenUrl }]);
    expect(moved.status).toBe(400);
    expect(moved.body.details).toEqual([
      { path: '/0/authToken', message: 'is required when authURL moves to another origin (the stored password is not sent elsewhere)' },
    ]);
    expect(other.calls).toHaveLength(0);

    const sameOrigin = await put([{ ...created, authURL: fake.serverTokenUrl }]);
    expect(sameOrigin.status).toBe(200);
    expect(fake.calls.map((call) => call.path)).toEqual([FAKE_ARCGIS_PORTAL_GENERATE_TOKEN_PATH, FAKE_ARCGIS_SERVER_GENERATE_TOKEN_PATH]);

    const withPassword = await put([{ ...created, authURL: other.portalTokenUrl, authToken: PASSWORD }]);
    expect(withPassword.status).toBe(200);
    expect(other.calls).toHaveLength(1);
  });

  it('changes type agol -> enterprise -> static -> enterprise -> agol, needing the new secret at each step', async () => {
    const id = (await put([agol()])).body.result[0].mapTokenID;

    // a client secret is no password: becoming enterprise needs one
    const noPassword = await put([without(enterprise({ mapTokenID: id }), 'authToken')]);
    expect(noPassword.status).toBe(400);
    expect(noPassword.body.details).toEqual([
      { path: '/0/authToken', message: 'is required when an item becomes enterprise (there is no stored password to keep)' },
    ]);

    const asEnterprise = await put([enterprise({ mapTokenID: id })]);
    expect(asEnterprise.body.result[0]).toMatchObject({ mapTokenID: id, authType: 'enterprise', authKey: USER, authReferer: REFERER });
    expect(fake.calls.map((call) => call.path)).toEqual([FAKE_ARCGIS_TOKEN_PATH, FAKE_ARCGIS_PORTAL_GENERATE_TOKEN_PATH]);

    const asStatic = await put([staticItem({ mapTokenID: id })]);
    expect(asStatic.body.result[0]).toMatchObject({
      authType: 'static',
      authKey: null,
      authURL: null,
      authReferer: null,
      authTimeout: null,
      token: 'static-token',
    });
    const [row] = await db.query<{ auth_secret_enc: string | null; auth_referer: string | null; auth_key: string | null }[]>(
      'SELECT auth_secret_enc, auth_referer, auth_key FROM map_tokens',
    );
    expect(row).toEqual({ auth_secret_enc: null, auth_referer: null, auth_key: null });

    expect((await put([without(enterprise({ mapTokenID: id }), 'authToken')])).status).toBe(400);
    const again = await put([enterprise({ mapTokenID: id, authReferer: null })]);
    expect(again.body.result[0]).toMatchObject({ authType: 'enterprise', authReferer: null });

    // a password is no client secret either
    const noSecret = await put([without(agol({ mapTokenID: id }), 'authToken')]);
    expect(noSecret.status).toBe(400);
    expect(noSecret.body.details).toEqual([
      { path: '/0/authToken', message: 'is required when an item becomes agol (there is no stored secret to keep)' },
    ]);
    const asAgol = await put([agol({ mapTokenID: id })]);
    expect(asAgol.body.result[0]).toMatchObject({ authType: 'agol', authKey: CLIENT_ID, authReferer: null });
    expect(fake.calls.at(-1)).toMatchObject({
      path: FAKE_ARCGIS_TOKEN_PATH,
      params: { client_id: CLIENT_ID, client_secret: CLIENT_SECRET },
    });
    const [last] = await db.query<{ auth_type: string; auth_referer: string | null }[]>('SELECT auth_type, auth_referer FROM map_tokens');
    expect(last).toEqual({ auth_type: 'agol', auth_referer: null });
  });
});

describe('reading the token of an enterprise item', () => {
  it('after the token expired, a read gets a new one from generateToken with the stored password and referer', async () => {
    const created = (await put([enterprise({ authTimeout: 60 })])).body.result[0];
    clock.advance(3_600_000 + 1000);

    const res = await readToken(created.mapTokenID);

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      mapTokenID: created.mapTokenID,
      token_Expire_Date: new Date(clock.now() + 3_600_000).toISOString(),
      expires_in: 3600,
    });
    expect(res.body.token).toMatch(/^fake-/);
    expect(res.body.token).not.toBe(created.token);
    expect(fake.calls).toHaveLength(2);
    expect(fake.calls[1].params).toEqual(PORTAL_FORM);
    // the renewed token is the one an admin GET shows too
    expect((await getOne(created.mapTokenID)).body.result[0].token).toBe(res.body.token);
    expect(fake.calls).toHaveLength(2);
  });

  it('when the portal rejects the stored password at renewal and no unexpired token is left, the read answers 502 quoting ArcGIS', async () => {
    const created = (await put([enterprise({ authURL: fake.serverTokenUrl })])).body.result[0];
    clock.advance(3_600_000 + 1000);
    fake.mode = 'reject';

    const res = await readToken(created.mapTokenID);

    expect(res.status).toBe(502);
    expect(res.body.code).toBe('BadGateway');
    expect(res.body.msg).toContain('Unable to generate token. Invalid username or password.');
    expect(fake.calls.at(-1)?.path).toBe(FAKE_ARCGIS_SERVER_GENERATE_TOKEN_PATH);
    expectNoPasswordAnywhere(JSON.stringify(res.body));
  });

  it('when renewal fails while the token is still unexpired, the read is answered with that token (stale-if-error)', async () => {
    const created = (await put([enterprise({ authTimeout: 60 })])).body.result[0];
    clock.advance(3_600_000 - 120_000); // two minutes left: inside the 5-minute margin
    fake.mode = 'http-500';

    const res = await readToken(created.mapTokenID);

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token: created.token, expires_in: 120 });
    await fake.waitForCalls(2);
    expect(fake.calls[1]).toMatchObject({
      path: FAKE_ARCGIS_PORTAL_GENERATE_TOKEN_PATH,
      params: { username: USER, password: PASSWORD, referer: REFERER },
    });
    expectNoPasswordAnywhere(JSON.stringify(res.body));
  });

  it('keeps no password or token in plaintext in any table, answer or log line', async () => {
    const created = (await put([enterprise()])).body.result[0];
    clock.advance(3_600_000 + 1000);
    const read = await readToken(created.mapTokenID);
    const list = await request(h.app).get('/api/v1/admin/map-tokens').set('atr-environment-id', ENV).set('atr-subscription-key', admin);

    const dump = await db.dump();
    for (const plaintext of [PASSWORD, created.token, read.body.token]) {
      expect(dump).not.toContain(plaintext);
      expect(h.logText()).not.toContain(plaintext);
    }
    expect(dump).toContain(REFERER); // the referer is no secret: stored as given
    expectNoPasswordAnywhere(JSON.stringify(read.body), JSON.stringify(list.body));
  });
});

describe('refresh ahead for enterprise items', () => {
  it.each([
    ['a portal', () => fake.portalTokenUrl, () => `${fake.url}/portal/sharing/rest`],
    ['a standalone ArcGIS Server', () => fake.serverTokenUrl, () => `${fake.url}/arcgis/rest/services`],
  ])('the token answer for %s is what registerToken() takes: expires in epoch ms, server, ssl', async (_name, url, server) => {
    const created = (await put([enterprise({ authURL: url() })])).body.result[0];
    const res = await readToken(created.mapTokenID);
    expect(res.body).toEqual({
      mapTokenID: created.mapTokenID,
      token: created.token,
      token_Expire_Date: created.token_Expire_Date,
      expires_in: 3600,
      expires: Date.parse(created.token_Expire_Date),
      server: server(),
      ssl: false,
    });
  });

  it('a read past the refresh point answers at once and renews in the background; a rejection is recorded without the password', async () => {
    const created = (await put([enterprise({ authTimeout: 60 })])).body.result[0];
    clock.advance(3_600_000 - 600_000); // the refresh point of a one-hour token
    fake.mode = 'reject';

    const res = await readToken(created.mapTokenID);
    await h.idle();

    expect(res.body.token).toBe(created.token);
    const [resource] = (await getOne(created.mapTokenID)).body.result;
    expect(resource.lastRefreshError).toEqual({
      at: new Date(clock.now()).toISOString(),
      kind: 'rejected',
      message: expect.stringContaining('Invalid username or password.'),
    });
    expectNoPasswordAnywhere(JSON.stringify(resource), await db.dump());

    fake.mode = 'ok';
    clock.advance(2000); // the first pause is at most 2 s
    await readToken(created.mapTokenID);
    await h.idle();
    const renewed = await readToken(created.mapTokenID);
    expect(renewed.body.token).not.toBe(created.token);
    expect((await getOne(created.mapTokenID)).body.result[0].lastRefreshError).toBeNull();
  });

  it('the scheduler renews an enterprise token nobody reads, with the stored password and referer', async () => {
    const created = (await put([enterprise({ authTimeout: 60 })])).body.result[0];
    fake.reset();
    clock.advance(3_600_000 - 600_000);

    await h.services.scheduler!.tick();
    await h.services.scheduler!.idle();

    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0].params).toEqual(PORTAL_FORM);
    expect((await readToken(created.mapTokenID)).body.token).not.toBe(created.token);
  });

  it('a client that reports the current token rejected gets a new one from generateToken', async () => {
    const created = (await put([enterprise()])).body.result[0];
    fake.reset();
    const res = await request(h.app)
      .post(`/api/v1/map-tokens/${created.mapTokenID}/token`)
      .set('atr-environment-id', ENV)
      .set('atr-subscription-key', reader)
      .send({ rejected: created.token });
    expect(res.status).toBe(200);
    expect(res.body.token).not.toBe(created.token);
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0].path).toBe(FAKE_ARCGIS_PORTAL_GENERATE_TOKEN_PATH);
  });
});

describe('the database', () => {
  it('knows the three auth types and refuses any other', async () => {
    const insert = (authType: string) =>
      db.query(
        'INSERT INTO map_tokens (environment, organization_id, auth_type, auth_referer, created_at, updated_at) VALUES (?, 1, ?, ?, 0, 0)',
        [ENV, authType, null],
      );
    for (const authType of ['agol', 'enterprise', 'static']) await expect(insert(authType)).resolves.toBeDefined();
    await expect(insert('oauth')).rejects.toThrow(/map_tokens_auth_type/);
  });
});

describe('the log configuration', () => {
  it('censors a password field, should one ever be logged', () => {
    const { logger, text } = captureLogs();
    logger.warn({ password: PASSWORD, body: { password: PASSWORD } }, 'test line');
    expect(text()).toContain('"password":"[redacted]"');
    expect(text()).not.toContain(PASSWORD);
  });
});

describe('on the embedded store', () => {
  it('creates an enterprise item and serves its token', async () => {
    const embedded = createHarness({ clock, arcgisOrigin: fake.url });
    try {
      const key = await embedded.key(ENV, 'admin');
      const created = await request(embedded.app)
        .put('/api/v1/admin/map-tokens')
        .set('atr-environment-id', ENV)
        .set('atr-subscription-key', key)
        .send([enterprise()]);
      expect(created.status).toBe(200);
      expect(created.body.result[0]).toMatchObject({ authType: 'enterprise', authReferer: REFERER });
      const read = await request(embedded.app)
        .get(`/api/v1/map-tokens/${created.body.result[0].mapTokenID}/token`)
        .set('atr-environment-id', ENV)
        .set('atr-subscription-key', key);
      expect(read.body).toMatchObject({ token: created.body.result[0].token, expires_in: 3600 });
    } finally {
      await embedded.close();
    }
  });
});
