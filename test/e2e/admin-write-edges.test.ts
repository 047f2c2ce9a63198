import request from 'supertest';
import { FakeArcgis } from '../support/fake-arcgis';
import { createHarness } from '../support/harness';
import { getMapTokens } from '../support/map-token-requests';
import { useTwoEnvironments } from '../support/two-environments';

/** Admin writes at their edges: dates no clock holds, a hanging ArcGIS, a concurrent change, a moved authURL, the audit trail. */

const env = useTwoEnvironments();

it('refuses a date the schema admits but no clock can hold (a leap second) with 400, storing nothing', async () => {
  const res = await env.put('env-a', [{ organization_ID: 1, authType: 'static', token: 't', token_Expire_Date: '2030-06-30T23:59:60Z' }]);
  expect(res.status).toBe(400);
  expect(res.body.details[0].path).toBe('/0/token_Expire_Date');
  expect(await env.rows()).toBe(0);
});

it('answers a large PUT against a hanging ArcGIS within about one timeout, not one per item', async () => {
  env.setup.fake.mode = 'hang';
  const started = Date.now();
  // 100 items, 8 at a time, 300 ms each: one timeout per wave would be 13 waves, about 3.9 s
  const res = await env.put(
    'env-a',
    Array.from({ length: 100 }, (_, i) => env.agol({ authKey: `app-${i}` })),
  );
  expect(res.status).toBe(504);
  expect(Date.now() - started).toBeLessThan(2000);
  expect(env.setup.fake.calls.length).toBeLessThanOrEqual(8);
  expect(await env.rows()).toBe(0);
});

it('refuses with 409, storing nothing, a PUT whose resource another PUT changed while it waited for ArcGIS', async () => {
  const created = (await env.put('env-a', [env.agol()])).body.result[0];
  // slow: new secret, so it waits for ArcGIS (held); fast: only the organization, no ArcGIS call
  const releaseArcgis = env.setup.fake.hold();
  const slow = env.put('env-a', [{ ...env.agol({ authToken: 'new-secret' }), mapTokenID: created.mapTokenID }]).then((res) => res); // sent now
  await env.setup.fake.waitForCalls(2); // the create's call, then the slow PUT's: it has read the row and waits
  const fast = await env.put('env-a', [{ ...env.agol(), organization_ID: 2, mapTokenID: created.mapTokenID, authToken: undefined }]);
  expect(fast.status).toBe(200);
  releaseArcgis();
  const late = await slow;
  expect(late.status).toBe(409);
  expect(late.body.code).toBe('Conflict');
  const stored = (await getMapTokens(env.h.app, 'env-a', env.keys['env-a'].admin, `/${created.mapTokenID}`)).body.result[0];
  expect(stored.organization_ID).toBe(2);
  // the stored secret is still the first one: the next refresh sends it
  env.h.clock.advance(7300_000);
  env.setup.fake.reset();
  expect((await env.read('env-a', created.mapTokenID)).status).toBe(200);
  expect(env.setup.fake.calls[0].params.client_secret).toBe('edge-secret');
});

it('does not send the stored secret to another origin: moving authURL elsewhere needs authToken', async () => {
  const other = new FakeArcgis();
  await other.start();
  const h2 = createHarness({ mysqlUrl: env.setup.db.url, env: { AUTH_URL_ALLOWLIST: `${env.setup.fake.url},${other.url}` } });
  try {
    const admin = await h2.key('env-c', 'admin');
    const send = (body: unknown) =>
      request(h2.app)
        .put('/api/v1/admin/map-tokens')
        .set('atr-environment-id', 'env-c')
        .set('atr-subscription-key', admin)
        .send(body as object);
    const created = (await send([env.agol()])).body.result[0];
    const moved = await send([{ ...env.agol({ authURL: other.tokenUrl }), authToken: undefined, mapTokenID: created.mapTokenID }]);
    expect(moved.status).toBe(400);
    expect(moved.body.details[0].path).toBe('/0/authToken');
    expect(other.calls).toHaveLength(0);
    expect((await send([{ ...env.agol({ authURL: other.tokenUrl }), mapTokenID: created.mapTokenID }])).status).toBe(200);
    expect(other.calls).toHaveLength(1);
  } finally {
    await h2.close();
    await other.stop();
  }
});

it('records atr-partner-id and, without atr-request-source, the key as the actor, in the audit trail and the log line', async () => {
  const partner = '2269623a-af6a-419f-b15b-2c8391b50149';
  const res = await env.put('env-a', [{ organization_ID: 1, authType: 'static', token: 't' }]).set('atr-partner-id', partner);
  expect(res.status).toBe(200);
  const [event] = await env.h.auditEvents('env-a').then((events) => events.filter((e) => e.resourceType === 'map_token'));
  expect(event).toMatchObject({ partnerId: partner, actor: expect.stringMatching(/^key:\d+$/) });
  const line = env.h.logs.find((l) => l.requestId === res.headers['x-request-id']);
  expect(line).toMatchObject({ partnerId: partner, actor: event.actor });
});

it('marks admin answers, which carry live tokens, as not to be stored', async () => {
  const res = await env.put('env-a', [{ organization_ID: 1, authType: 'static', token: 't' }]);
  expect(res.headers['cache-control']).toBe('no-store');
  const list = await getMapTokens(env.h.app, 'env-a', env.keys['env-a'].admin);
  expect(list.headers['cache-control']).toBe('no-store');
});
