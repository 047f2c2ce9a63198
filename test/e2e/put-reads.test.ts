import request from 'supertest';
import { createHarness, type Harness } from '../support/harness';

let h: Harness;
let admin: string;
const put = (body: unknown, key = admin) =>
  request(h.app)
    .put('/api/v1/admin/map-tokens')
    .set('atr-environment-id', 'env-a')
    .set('atr-subscription-key', key)
    .send(body as object);

beforeEach(async () => {
  h = createHarness();
  admin = await h.key('env-a', 'admin');
});
afterEach(() => h.close());

it('a PUT of 100 updates reads the rows it replaces in one store call, within the caller scope', async () => {
  const created = await put(Array.from({ length: 100 }, (_, i) => ({ organization_ID: 1 + (i % 2), authType: 'static', token: `t${i}` })));
  expect(created.status).toBe(200);
  const ids: number[] = created.body.result.map((item: { mapTokenID: number }) => item.mapTokenID);

  const reads: string[] = [];
  const { get, getMany } = h.store.mapTokens;
  h.store.mapTokens.get = (scope, id) => {
    reads.push(`get ${id}`);
    return get.call(h.store.mapTokens, scope, id);
  };
  h.store.mapTokens.getMany = (scope, many) => {
    reads.push(`getMany ${scope.environment} ${scope.organizationId} ${many.length}`);
    return getMany.call(h.store.mapTokens, scope, many);
  };

  const updated = await put(ids.map((id, i) => ({ mapTokenID: id, organization_ID: 1 + (i % 2), authType: 'static', token: `u${i}` })));
  expect(updated.status).toBe(200);
  expect(updated.body.result.map((item: { token: string }) => item.token)).toEqual(ids.map((_, i) => `u${i}`));
  expect(reads).toEqual(['getMany env-a null 100']);

  // a key bound to organization 1: the rows of organization 2 are not found, and nothing is stored
  reads.length = 0;
  const bound = await h.key('env-a', 'admin', 1);
  const mixed = await put(
    [
      { mapTokenID: ids[0], organization_ID: 1, authType: 'static', token: 'x' },
      { mapTokenID: ids[1], organization_ID: 1, authType: 'static', token: 'y' },
    ],
    bound,
  );
  expect(mixed.status).toBe(404);
  expect(mixed.body.details).toEqual([{ path: '/1/mapTokenID', message: `map token ${ids[1]} was not found` }]);
  expect(reads).toEqual(['getMany env-a 1 2']);
  expect((await h.store.mapTokens.get({ environment: 'env-a', organizationId: null }, ids[0]))?.version).toBe(2);
});
