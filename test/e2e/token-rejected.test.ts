import request from 'supertest';
import { useInstancesOnOneDatabase } from '../support/listening-instance';

/**
 * SPEC "A client that ArcGIS refused a token": POST /api/v1/map-tokens/{id}/token with {"rejected"}.
 * Three instances on one MySQL database, the ArcGIS stand-in, a shared fake clock.
 */

const ENV = 'rejected';
const SECRET = 'sekret-rejected-Zu8Kd2';
const ORIGIN = 'https://floors.example.com';

const fleet = useInstancesOnOneDatabase(ENV, 3, { CORS_ALLOWED_ORIGINS: ORIGIN });
const { fake, clock, instances } = fleet;

const first = () => instances[0];

function report(id: number, rejected: unknown, via = first(), key = fleet.reader) {
  return request(via.server)
    .post(`/api/v1/map-tokens/${id}/token`)
    .set('atr-environment-id', ENV)
    .set('atr-subscription-key', key)
    .send(rejected as object);
}

function readToken(id: number, via = first()) {
  return request(via.server).get(`/api/v1/map-tokens/${id}/token`).set('atr-environment-id', ENV).set('atr-subscription-key', fleet.reader);
}

async function create(item: Record<string, unknown> = {}): Promise<{ id: number; token: string }> {
  const res = await request(first().server)
    .put('/api/v1/admin/map-tokens')
    .set('atr-environment-id', ENV)
    .set('atr-subscription-key', fleet.admin)
    .send([
      {
        organization_ID: 1,
        authType: 'agol',
        authKey: 'app-rejected',
        authToken: SECRET,
        authTimeout: 120,
        authURL: fake.tokenUrl,
        ...item,
      },
    ]);
  expect(res.status).toBe(200);
  return { id: res.body.result[0].mapTokenID, token: res.body.result[0].token };
}

beforeEach(() => {
  clock.advance(60_000); // past every earlier test's 30 s window
});

test("reporting the current token gets a new one from ArcGIS, in the token read's shape, and never logs the reported token", async () => {
  const created = await create();
  fake.reset();

  const res = await report(created.id, { rejected: created.token });

  expect(res.status).toBe(200);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.body.token).not.toBe(created.token);
  expect(res.body).toEqual(
    expect.objectContaining({ mapTokenID: created.id, expires_in: 7200, server: `${fake.url}/sharing/rest`, ssl: false }),
  );
  expect(fake.calls).toHaveLength(1);
  expect((await readToken(created.id)).body.token).toBe(res.body.token);
  const logs = first().harness.logText();
  expect(logs).not.toContain(created.token);
  expect(logs).not.toContain(res.body.token);
});

test('reporting a token that is no longer the current one answers the current token at once, with no call', async () => {
  const created = await create();
  const renewed = (await report(created.id, { rejected: created.token })).body.token;
  fake.reset();

  const res = await report(created.id, { rejected: created.token }, instances[1]);
  const other = await report(created.id, { rejected: 'a-token-this-service-never-issued' });

  expect(res.status).toBe(200);
  expect(res.body.token).toBe(renewed);
  expect(other.body.token).toBe(renewed);
  expect(fake.calls).toHaveLength(0);
});

test('60 clients on three instances reporting the same token at once cost one ArcGIS call and all get the same new token', async () => {
  const created = await create();
  fake.reset();
  const release = fake.hold();

  const pending = Promise.all(Array.from({ length: 60 }, (_, i) => report(created.id, { rejected: created.token }, instances[i % 3])));
  await fake.waitForCalls(1);
  release();
  const answers = await pending;

  expect(answers.map((res) => res.status)).toEqual(answers.map(() => 200));
  expect(new Set(answers.map((res) => res.body.token)).size).toBe(1);
  expect(answers[0].body.token).not.toBe(created.token);
  expect(fake.calls).toHaveLength(1);
});

test('at most one forced renewal per map token per 30 s: a report of the new token inside the window answers it with no call', async () => {
  const created = await create();
  const renewed = (await report(created.id, { rejected: created.token })).body.token;
  fake.reset();

  clock.advance(29_999);
  const inside = await report(created.id, { rejected: renewed }, instances[2]);
  expect(inside.body.token).toBe(renewed);
  expect(fake.calls).toHaveLength(0);

  clock.advance(1);
  const after = await report(created.id, { rejected: renewed }, instances[2]);
  expect(after.body.token).not.toBe(renewed);
  expect(fake.calls).toHaveLength(1);
});

test('when the forced renewal fails the reporter gets 502, and every read on every instance keeps the unexpired token (a report only adds a renewal)', async () => {
  const created = await create();
  fake.reset();
  fake.mode = 'http-500';

  const res = await report(created.id, { rejected: created.token });
  expect(res.status).toBe(502);
  expect(res.body.code).toBe('BadGateway');
  expect(JSON.stringify(res.body)).not.toContain(created.token);
  const calls = fake.calls.length;

  for (const instance of instances) {
    const read = await readToken(created.id, instance);
    expect(read.status).toBe(200);
    expect(read.body.token).toBe(created.token);
  }
  expect(fake.calls).toHaveLength(calls);

  // the token is replaced only by a successful renewal
  fake.mode = 'ok';
  clock.advance(30_000);
  const renewed = await report(created.id, { rejected: created.token }, instances[1]);
  expect(renewed.status).toBe(200);
  expect(renewed.body.token).not.toBe(created.token);
});

test('a forced renewal that failed still counts: another instance answers a report inside the 30 s with no call', async () => {
  const created = await create();
  fake.reset();
  fake.mode = 'http-500';
  expect((await report(created.id, { rejected: created.token })).status).toBe(502);
  await first().harness.idle(); // the failure, with the time of the forced renewal, is on the row
  const callsAfterFailure = fake.calls.length;
  fake.mode = 'ok';

  clock.advance(29_999);
  const inside = await report(created.id, { rejected: created.token }, instances[1]);
  expect(inside.status).toBe(200);
  expect(fake.calls).toHaveLength(callsAfterFailure);

  clock.advance(1);
  const after = await report(created.id, { rejected: created.token }, instances[2]);
  expect(after.body.token).not.toBe(created.token);
  expect(fake.calls).toHaveLength(callsAfterFailure + 1);
});

test('a static token is answered as stored, with no call', async () => {
  const created = await create({
    authType: 'static',
    authKey: undefined,
    authToken: undefined,
    authTimeout: undefined,
    authURL: undefined,
    token: 'static-rejected',
  });
  fake.reset();
  const res = await report(created.id, { rejected: 'static-rejected' });
  expect(res.status).toBe(200);
  expect(res.body.token).toBe('static-rejected');
  expect(fake.calls).toHaveLength(0);
});

test.each<[string, unknown, number, string]>([
  ['no rejected property', {}, 400, '/rejected'],
  ['an unknown property', { rejected: 'x', extra: 1 }, 400, '/extra'],
  ['an empty token', { rejected: '' }, 400, '/rejected'],
  ['a number', { rejected: 7 }, 400, '/rejected'],
])('a body with %s answers 400 with the path of the problem and calls nobody', async (_name, body, status, path) => {
  const created = await create();
  fake.reset();
  const res = await report(created.id, body);
  expect(res.status).toBe(status);
  expect(res.body.code).toBe('BadRequest');
  expect(JSON.stringify(res.body.details)).toContain(path);
  expect(fake.calls).toHaveLength(0);
});

test('a body that is not JSON answers 415, malformed JSON 400', async () => {
  const created = await create();
  const text = await request(first().server)
    .post(`/api/v1/map-tokens/${created.id}/token`)
    .set('atr-environment-id', ENV)
    .set('atr-subscription-key', fleet.reader)
    .set('Content-Type', 'text/plain')
    .send('rejected');
  expect(text.status).toBe(415);
  const malformed = await request(first().server)
    .post(`/api/v1/map-tokens/${created.id}/token`)
    .set('atr-environment-id', ENV)
    .set('atr-subscription-key', fleet.reader)
    .set('Content-Type', 'application/json')
    .send('{"rejected":');
  expect(malformed.status).toBe(400);
});

test('needs a key: none answers 401; a key bound to another organization answers 404', async () => {
  const created = await create();
  const none = await request(first().server)
    .post(`/api/v1/map-tokens/${created.id}/token`)
    .set('atr-environment-id', ENV)
    .send({ rejected: created.token });
  expect(none.status).toBe(401);
  const otherOrg = await first().harness.key(ENV, 'reader', 99);
  const res = await report(created.id, { rejected: created.token }, first(), otherOrg);
  expect(res.status).toBe(404);
});

test('CORS: a preflight from a listed origin allows POST and Content-Type; the report answers with the origin', async () => {
  const created = await create();
  const preflight = await request(first().server)
    .options(`/api/v1/map-tokens/${created.id}/token`)
    .set('Origin', ORIGIN)
    .set('Access-Control-Request-Method', 'POST')
    .set('Access-Control-Request-Headers', 'content-type,atr-environment-id,atr-subscription-key');
  expect(preflight.status).toBe(204);
  expect(preflight.headers['access-control-allow-origin']).toBe(ORIGIN);
  expect(preflight.headers['access-control-allow-methods']).toContain('POST');
  expect(preflight.headers['access-control-allow-headers']).toContain('content-type');

  const res = await report(created.id, { rejected: 'not-the-current-one' }).set('Origin', ORIGIN);
  expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
});
