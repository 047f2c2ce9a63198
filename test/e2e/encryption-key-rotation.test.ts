import { createHash } from 'node:crypto';
import request from 'supertest';
import { SecretBox } from '../../src/crypto/secret-box';
import { useFakeArcgis } from '../support/use-fake-arcgis';
import { createHarness, type Harness } from '../support/harness';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { putStaticToken } from '../support/map-token-requests';

const OLD = Buffer.alloc(32, 11).toString('base64');
const NEW = Buffer.alloc(32, 12).toString('base64');
const ENV = 'rotation';

let db: TestDatabase;
const harnesses: Harness[] = [];

function instance(encryptionKey: string): Harness {
  const h = createHarness({ mysqlUrl: db.url, env: { ENCRYPTION_KEY: encryptionKey } });
  harnesses.push(h);
  return h;
}

async function put(h: Harness, token: string): Promise<number> {
  return putStaticToken(h.app, ENV, await h.key(ENV), token);
}

async function read(h: Harness, id: number) {
  return request(h.app)
    .get(`/api/v1/map-tokens/${id}/token`)
    .set('atr-environment-id', ENV)
    .set('atr-subscription-key', await h.key(ENV, 'reader'));
}

async function sealedToken(id: number): Promise<string> {
  const [row] = await db.query<{ token_enc: string }[]>('SELECT token_enc FROM map_tokens WHERE id = ?', [id]);
  return row.token_enc;
}

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  for (const h of harnesses) await h.close();
  await db.drop();
});

test('ENCRYPTION_KEY=new,old serves what the old key sealed, seals new values with the new key, and after re-sealing the old key can go', async () => {
  const before = await put(instance(OLD), 'sealed-under-old');

  const rotated = instance(`${NEW},${OLD}`);
  expect((await read(rotated, before)).body.token).toBe('sealed-under-old');
  const after = await put(rotated, 'sealed-under-new');
  const onlyNew = new SecretBox([Buffer.from(NEW, 'base64')]);
  expect(onlyNew.decrypt(await sealedToken(after))).toBe('sealed-under-new');
  expect(onlyNew.needsRotation(await sealedToken(before))).toBe(true);

  const box = new SecretBox([Buffer.from(NEW, 'base64'), Buffer.from(OLD, 'base64')]);
  expect(await rotated.store.mapTokens.resealAll((sealed) => (box.needsRotation(sealed) ? box.encrypt(box.decrypt(sealed)) : null))).toBe(
    1,
  );

  const newOnly = instance(NEW);
  expect((await read(newOnly, before)).body.token).toBe('sealed-under-old');
  expect((await read(newOnly, after)).body.token).toBe('sealed-under-new');
});

describe('a rotation whose order is broken: an instance lacks the key another one already seals with', () => {
  const fake = useFakeArcgis();
  let oldOnly: Harness;
  let rotated: Harness;
  const keyId = (base64: string) => createHash('sha256').update(Buffer.from(base64, 'base64')).digest('hex').slice(0, 8);

  beforeAll(() => {
    oldOnly = createHarness({ mysqlUrl: db.url, arcgisOrigin: fake.url, env: { ENCRYPTION_KEY: OLD } });
    rotated = createHarness({ mysqlUrl: db.url, arcgisOrigin: fake.url, env: { ENCRYPTION_KEY: `${NEW},${OLD}` } });
    harnesses.push(oldOnly, rotated);
  });

  it('lists answer 200 with that row token null, its reads answer 503 naming ENCRYPTION_KEY, other rows are untouched, and the log names the key id', async () => {
    const admin = await oldOnly.key(ENV);
    const reader = await oldOnly.key(ENV, 'reader');
    const headers = { 'atr-environment-id': ENV, 'atr-subscription-key': admin };
    const readerHeaders = { 'atr-environment-id': ENV, 'atr-subscription-key': reader };
    const sealedOld = await put(oldOnly, 'readable-everywhere');
    const sealedNew = await put(rotated, 'sealed-with-the-new-key');
    const agolRes = await request(rotated.app)
      .put('/api/v1/admin/map-tokens')
      .set(headers)
      .send([{ organization_ID: 1, authType: 'agol', authKey: 'app', authToken: 'app-secret', authURL: fake.tokenUrl }]);
    expect(agolRes.status).toBe(200);
    const agolNew: number = agolRes.body.result[0].mapTokenID;

    const list = await request(oldOnly.app).get('/api/v1/admin/map-tokens?limit=1000').set(headers);
    expect(list.status).toBe(200);
    const byId = new Map((list.body.result as { mapTokenID: number; token: string | null }[]).map((item) => [item.mapTokenID, item]));
    expect(byId.get(sealedOld)?.token).toBe('readable-everywhere');
    expect(byId.get(sealedNew)?.token).toBeNull();
    expect(byId.get(agolNew)?.token).toBeNull();

    for (const id of [sealedNew, agolNew]) {
      const answers = [
        await request(oldOnly.app).get(`/api/v1/admin/map-tokens/${id}`).set(headers),
        // the fast path and the router
        await request(oldOnly.app).get(`/api/v1/map-tokens/${id}/token`).set(readerHeaders),
        await request(oldOnly.app).get(`/api/v1/map-tokens/${id}/token/`).set(readerHeaders),
        await request(oldOnly.app).post(`/api/v1/map-tokens/${id}/token`).set(readerHeaders).send({ rejected: 'x' }),
      ];
      for (const res of answers) {
        expect({ id, status: res.status, code: res.body.code }).toEqual({ id, status: 503, code: 'ServiceUnavailable' });
        expect(res.body.msg).toContain('ENCRYPTION_KEY');
        expect(res.body.msg).toContain(keyId(NEW));
      }
    }
    // the instance that holds the key serves them, and nothing the other did was recorded on the rows
    await oldOnly.idle();
    for (const id of [sealedNew, agolNew]) {
      const res = await request(rotated.app).get(`/api/v1/admin/map-tokens/${id}`).set(headers);
      expect(res.status).toBe(200);
      expect(res.body.result[0]).toMatchObject({ lastRefreshError: null, token: expect.any(String) });
    }
    expect((await read(oldOnly, sealedOld)).body.token).toBe('readable-everywhere');
    expect(fake.calls).toHaveLength(1);

    const named = oldOnly.logs.filter((line) => line.missingKeyId === keyId(NEW));
    expect(named.length).toBeGreaterThanOrEqual(1);
    expect(named[0]).toMatchObject({ level: 'error', heldKeyIds: [keyId(OLD)] });
    expect(oldOnly.logText()).not.toContain(NEW);
    expect(oldOnly.logText()).not.toContain(Buffer.from(NEW, 'base64').toString('hex'));
  });

  it('a PUT on that instance that sends a new secret replaces the one it cannot open; one that keeps it answers 503 and changes nothing', async () => {
    const headers = { 'atr-environment-id': ENV, 'atr-subscription-key': await rotated.key(ENV) };
    const item = { organization_ID: 1, authType: 'agol', authKey: 'app3', authURL: fake.tokenUrl };
    const created = await request(rotated.app)
      .put('/api/v1/admin/map-tokens')
      .set(headers)
      .send([{ ...item, authToken: 'sealed-with-the-new-key' }]);
    expect(created.status).toBe(200);
    const id: number = created.body.result[0].mapTokenID;
    const [before] = await db.query<{ auth_secret_enc: string; version: number }[]>(
      'SELECT auth_secret_enc, version FROM map_tokens WHERE id = ?',
      [id],
    );

    const kept = await request(oldOnly.app)
      .put('/api/v1/admin/map-tokens')
      .set(headers)
      .send([{ ...item, mapTokenID: id, authTimeout: 30 }]);
    expect({ status: kept.status, code: kept.body.code }).toEqual({ status: 503, code: 'ServiceUnavailable' });
    expect(kept.body.msg).toContain('ENCRYPTION_KEY');
    const [untouched] = await db.query<{ auth_secret_enc: string; version: number }[]>(
      'SELECT auth_secret_enc, version FROM map_tokens WHERE id = ?',
      [id],
    );
    expect(untouched).toEqual(before);

    const calls = fake.calls.length;
    const replaced = await request(oldOnly.app)
      .put('/api/v1/admin/map-tokens')
      .set(headers)
      .send([{ ...item, mapTokenID: id, authToken: 'sent-again-to-the-old-instance' }]);
    expect(replaced.status).toBe(200);
    expect(replaced.body.result[0]).toMatchObject({ mapTokenID: id, token: expect.any(String) });
    // a token was fetched with the secret sent, and what was sealed opens with the old instance's key alone
    expect(fake.calls.length).toBe(calls + 1);
    expect(fake.calls.at(-1)?.params.client_secret).toBe('sent-again-to-the-old-instance');
    const [after] = await db.query<{ auth_secret_enc: string; token_enc: string }[]>(
      'SELECT auth_secret_enc, token_enc FROM map_tokens WHERE id = ?',
      [id],
    );
    const oldBox = new SecretBox([Buffer.from(OLD, 'base64')]);
    expect(oldBox.decrypt(after.auth_secret_enc)).toBe('sent-again-to-the-old-instance');
    expect(oldBox.decrypt(after.token_enc)).toBe(replaced.body.result[0].token);
    const readerHeaders = { 'atr-environment-id': ENV, 'atr-subscription-key': await oldOnly.key(ENV, 'reader') };
    const res = await request(oldOnly.app).get(`/api/v1/map-tokens/${id}/token`).set(readerHeaders);
    expect({ status: res.status, token: res.body.token }).toEqual({ status: 200, token: replaced.body.result[0].token });
  });

  it('the scheduler of the instance that lacks the key leaves the row alone: nothing recorded, ArcGIS not called', async () => {
    const admin = await rotated.key(ENV);
    const res = await request(rotated.app)
      .put('/api/v1/admin/map-tokens')
      .set({ 'atr-environment-id': ENV, 'atr-subscription-key': admin })
      .send([{ organization_ID: 1, authType: 'agol', authKey: 'app2', authToken: 'app2-secret', authTimeout: 60, authURL: fake.tokenUrl }]);
    expect(res.status).toBe(200);
    const id: number = res.body.result[0].mapTokenID;
    const calls = fake.calls.length;
    // past its refresh point on the old instance's clock only: its renewal ahead is due there
    oldOnly.clock.advance(59 * 60 * 1000);
    await oldOnly.broker.renewAhead(ENV, id);
    await oldOnly.idle();
    expect(fake.calls.length).toBe(calls);
    const [row] = await db.query<{ refresh_error_at: unknown; refresh_failures: number }[]>(
      'SELECT refresh_error_at, refresh_failures FROM map_tokens WHERE id = ?',
      [id],
    );
    expect(row).toMatchObject({ refresh_error_at: null, refresh_failures: 0 });
  });
});
