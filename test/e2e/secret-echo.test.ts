import request from 'supertest';
import { createHarness, type Harness } from '../support/harness';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { useFakeArcgis } from '../support/use-fake-arcgis';

/**
 * An upstream that quotes the request back (the stand-in's 'echo' mode: the form body as sent, with
 * lower-case hex, decoded, in both letter cases, JSON-escaped once and twice, URL-encoded again) never
 * makes a secret reach an answer, a log line, lastRefreshError or a MySQL row, in any of those forms.
 */

const ENV = 'echo';
const PASSWORD = 'Tr0ub4dor&3 x+y/z';
const CLIENT_SECRET = 'S3cr3t/Value+With&Specials "quoted" \\ end';

/** Every spelling of `secret` the contract names, written out independently of the service's own list. */
function formsOf(secret: string): string[] {
  const uri = encodeURIComponent(secret);
  const form = new URLSearchParams({ s: secret }).toString().slice(2);
  const json = JSON.stringify(secret).slice(1, -1);
  return [
    secret,
    uri,
    uri.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()),
    form,
    form.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()),
    uri.replace(/%20/g, '+'),
    json,
    JSON.stringify(json).slice(1, -1),
    [...secret].map((c) => (/[A-Za-z0-9]/.test(c) ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)).join(''),
  ];
}

/** The forms of `secret` found in `text`, in any letter case. */
function leaks(text: string, secret: string): string[] {
  const lower = text.toLowerCase();
  return formsOf(secret).filter((form) => lower.includes(form.toLowerCase()));
}

const fake = useFakeArcgis();
let db: TestDatabase;
let h: Harness;
let admin: string;
let reader: string;
const answers: string[] = [];

const put = async (items: unknown[]) => {
  const res = await request(h.app)
    .put('/api/v1/admin/map-tokens')
    .set({ 'atr-environment-id': ENV, 'atr-subscription-key': admin })
    .send(items);
  answers.push(res.text);
  return res;
};
const agol = (secret: string) => ({ organization_ID: 1, authType: 'agol', authKey: 'echo-app', authToken: secret, authURL: fake.tokenUrl });
const enterprise = (password: string) => ({
  organization_ID: 1,
  authType: 'enterprise',
  authKey: 'echo-user',
  authToken: password,
  authURL: fake.portalTokenUrl,
  authReferer: 'https://maps.example.com',
});

beforeAll(async () => {
  db = await createTestDatabase();
  h = createHarness({ mysqlUrl: db.url, arcgisOrigin: fake.url });
  admin = await h.key(ENV);
  reader = await h.key(ENV, 'reader');
});
afterAll(async () => {
  await h.close();
  await db.drop();
});
// generateToken's expires is a date: counted from the service's (fake) clock
beforeEach(() => {
  fake.now = () => h.clock.now();
});

it('a PUT that an echoing upstream rejects answers 400 with its message, no form of the password or secret in it', async () => {
  fake.mode = 'echo';
  for (const item of [enterprise(PASSWORD), agol(PASSWORD), agol(CLIENT_SECRET), enterprise(CLIENT_SECRET)]) {
    const res = await put([item]);
    expect(res.status).toBe(400);
    // the message is still ArcGIS's, with the credential cut out
    expect(res.body.msg).toMatch(/^ArcGIS rejected the credentials of item \/0: Invalid request: /);
    expect(res.body.msg).toContain('[redacted]');
    expect({ password: leaks(res.text, PASSWORD), secret: leaks(res.text, CLIENT_SECRET) }).toEqual({ password: [], secret: [] });
  }
  // the stand-in did quote every form: what it sent back holds the password as sent and decoded
  expect(fake.calls.some((call) => call.body.includes(encodeURIComponent(PASSWORD).replace(/%20/g, '+')))).toBe(true);
});

it('a renewal that an echoing upstream rejects records lastRefreshError, logs and answers without any form of the password', async () => {
  fake.mode = 'ok';
  const created = await put([enterprise(PASSWORD), agol(CLIENT_SECRET)]);
  expect(created.status).toBe(200);
  const ids = (created.body.result as { mapTokenID: number }[]).map((item) => item.mapTokenID);
  fake.mode = 'echo';
  // past expiry: the next read must renew, and the echoing upstream refuses it
  h.clock.advance(3 * 3600 * 1000);
  for (const id of ids) {
    const read = await request(h.app)
      .get(`/api/v1/map-tokens/${id}/token`)
      .set({ 'atr-environment-id': ENV, 'atr-subscription-key': reader });
    answers.push(read.text);
    expect(read.status).toBe(502);
    await h.idle();
    const one = await request(h.app)
      .get(`/api/v1/admin/map-tokens/${id}`)
      .set({ 'atr-environment-id': ENV, 'atr-subscription-key': admin });
    answers.push(one.text);
  }
  const failing = await request(h.app)
    .get('/api/v1/admin/map-tokens?failing=true')
    .set({ 'atr-environment-id': ENV, 'atr-subscription-key': admin });
  answers.push(failing.text);
  expect(failing.body.total).toBe(2);
  for (const item of failing.body.result as { lastRefreshError: { kind: string; message: string } }[]) {
    expect(item.lastRefreshError).toMatchObject({ kind: 'rejected', message: expect.stringContaining('[redacted]') });
  }

  const places = { answers: answers.join('\n'), logs: h.logText(), rows: await db.dump() };
  expect(places.logs).toContain('token renewal failed');
  for (const [place, text] of Object.entries(places)) {
    expect({ place, password: leaks(text, PASSWORD), secret: leaks(text, CLIENT_SECRET) }).toEqual({ place, password: [], secret: [] });
  }
});
