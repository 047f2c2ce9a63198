import request from 'supertest';
import { SecretBox } from '../../src/crypto/secret-box';
import { createHarness, type Harness } from '../support/harness';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

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
  const res = await request(h.app)
    .put('/api/v1/admin/map-tokens')
    .set('atr-environment-id', ENV)
    .set('atr-subscription-key', await h.key(ENV))
    .send([{ organization_ID: 1, authType: 'static', token }]);
  expect(res.status).toBe(200);
  return res.body.result[0].mapTokenID;
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
