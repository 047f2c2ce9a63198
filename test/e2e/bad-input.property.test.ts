import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { SchemaValidator } from '../../src/http/schema-validator';
import { useFakeArcgis } from '../support/use-fake-arcgis';
import { createHarness, type Harness } from '../support/harness';

/**
 * SPEC "No bad input, however malformed, gets a 500": thousands of random bodies, headers, path ids,
 * query strings, form bodies and methods thrown at every route. Each answer is a success or a 4xx in
 * the documented envelope (schemas/error.json; schemas/oauth-error.json on the token endpoint), and a
 * refused request stores nothing. Embedded store, fixed seed: the same cases on every run.
 */

const SEED = 20260115;
const ENV = 'prop';
const MAX_BODY_BYTES = 65536;

const fake = useFakeArcgis();
const validator = new SchemaValidator({ maxBatch: 100 });
const errorEnvelope = validator.compile('error.json');
const oauthEnvelope = validator.compile('oauth-error.json');
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
let h: Harness;
let server: http.Server;
let port: number;
let admin: string;
let reader: string;
let bearer: string;
let sent = 0;
const adminHeaders = () => ({ 'atr-environment-id': ENV, 'atr-subscription-key': admin });

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

interface Sent {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

/** A raw HTTP request: no client library deciding the content type, the encoding or the path for us. */
function send({ method, path, headers = {}, body }: Sent): Promise<Answer> {
  sent += 1;
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: { ...headers, ...(payload ? { 'content-length': String(payload.length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The answer is a success, or a documented 4xx envelope; never a 5xx. Throws with the whole exchange otherwise. */
function checkAnswer(request: Sent, answer: Answer): void {
  const fail: (why: string) => never = (why) => {
    const body = request.body === undefined ? '' : String(request.body).slice(0, 300);
    throw new Error(
      `${why}\n${request.method} ${request.path.slice(0, 300)}\nheaders ${JSON.stringify(request.headers ?? {}).slice(0, 500)}\nbody ${body}\n-> ${answer.status} ${answer.text.slice(0, 300)}`,
    );
  };
  if (answer.status >= 500) fail('a 5xx');
  if (answer.status < 400 || request.method === 'HEAD') return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.text);
  } catch {
    fail('a 4xx whose body is not JSON');
  }
  const path = request.path.split('?')[0];
  if (path === '/api/v1/auth/token' && answer.status !== 405) {
    if (!oauthEnvelope(parsed)) fail(`not an OAuth error body: ${JSON.stringify(oauthEnvelope.errors)}`);
    return;
  }
  if (!errorEnvelope(parsed)) fail(`not the error envelope: ${JSON.stringify(errorEnvelope.errors)}`);
  if ((parsed as { requestId: string }).requestId !== answer.headers['x-request-id']) fail('requestId differs from x-request-id');
}

/** How many map tokens and audit events the environment holds. */
async function stored(): Promise<{ total: number; audited: number }> {
  const { total } = await h.store.mapTokens.list({ environment: ENV, organizationId: null }, { limit: 1, offset: 0, organizationId: null });
  return { total, audited: (await h.auditEvents(ENV)).length };
}

/** Sends, checks the answer, and checks that a refused request changed nothing. */
async function exchange(request: Sent): Promise<Answer> {
  const before = await stored();
  const answer = await send(request);
  checkAnswer(request, answer);
  if (answer.status >= 400) {
    const after = await stored();
    if (after.total !== before.total || after.audited !== before.audited) {
      throw new Error(
        `a refused ${request.method} ${request.path} (${answer.status}) stored something: ${JSON.stringify({ before, after })}`,
      );
    }
  }
  return answer;
}

const run = <T>(arbitrary: fc.Arbitrary<T>, numRuns: number, predicate: (value: T) => Promise<unknown>) =>
  fc.assert(
    fc.asyncProperty(arbitrary, async (value) => {
      await predicate(value);
    }),
    { seed: SEED, numRuns },
  );

// ---- generators ------------------------------------------------------------------------------

/** Header values can only carry bytes 0x20-0xFF (and tab): send unicode as its UTF-8 bytes, drop control characters. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes
const headerSafe = (value: string) =>
  Buffer.from(value, 'utf8')
    .toString('latin1')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes
    .replace(/[\x00-\x1f\x7f]/g, '');

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom('', ' ', 'null', '0', '-1', '1e309', '__proto__', 'constructor', '%', '%ZZ', '../..', '\u0000', '\u202e', '\u{1F600}'),
);
/** Strings around the schema limits (256, 2048, 4096) and past them. */
const longText = fc
  .tuple(fc.constantFrom(255, 256, 257, 2047, 2048, 2049, 4095, 4096, 4097, 10000), fc.constantFrom('a', 'é', '\u{1F600}'))
  .map(([n, c]) => c.repeat(n));
/** Long, but short enough for a URL: Node answers 431 itself past 16 KiB of request line and headers. */
const longUrlText = fc.constantFrom('a'.repeat(256), 'a'.repeat(2049), 'é'.repeat(600), '\u{1F600}'.repeat(300));
const value = fc.oneof(
  { arbitrary: fc.anything({ maxDepth: 2, maxKeys: 4 }), weight: 3 },
  { arbitrary: text, weight: 3 },
  { arbitrary: longText, weight: 1 },
  { arbitrary: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 2 ** 31, 2 ** 53, 1.5, -0)), weight: 2 },
  { arbitrary: fc.constantFrom(null, true, false, [], {}), weight: 1 },
);
const int32ish = fc.oneof(
  fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  fc.integer({ min: 1, max: 40 }),
  fc.constantFrom(0, -1, 2 ** 31, 1.5, '1'),
);
const future = new Date(Date.parse('2026-01-15T10:00:00.000Z') + 86_400_000).toISOString();

/** Each field of map-token-write.json: sometimes right, often wrong in type, range or form. */
const fieldValues: Record<string, fc.Arbitrary<unknown>> = {
  mapTokenID: fc.oneof(int32ish, value),
  organization_ID: fc.oneof(int32ish, int32ish, value),
  authType: fc.oneof(fc.constantFrom('agol', 'static', 'static', 'AGOL', ''), value),
  authKey: fc.oneof(text, longText, fc.constant(null), value),
  authToken: fc.oneof(text, longText, value),
  authTimeout: fc.oneof(fc.integer({ min: -5, max: 20200 }), fc.constant(null), value),
  authURL: fc.oneof(
    fc.constant(null),
    fc.constantFrom(
      'https://www.arcgis.com/sharing/rest/oauth2/token/',
      'http://127.0.0.1:1/token',
      'not a url',
      'javascript:alert(1)',
      'https://evil.example/arcgis.com',
    ),
    value,
  ),
  token: fc.oneof(text, longText, fc.constant(null), value),
  token_Expire_Date: fc.oneof(
    fc.constantFrom(future, '2020-01-01T00:00:00.000Z', 'tomorrow', '2026-13-01T00:00:00Z', null),
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    value,
  ),
};
const item = fc
  .tuple(fc.record(fieldValues, { requiredKeys: [] }), fc.option(fc.dictionary(text, value, { maxKeys: 2 }), { freq: 4 }))
  .map(([known, extra]) => (extra ? { ...extra, ...known } : known));
/** A static item that is valid: some bodies must get through, so that "nothing stored" means something. */
const validStatic = fc
  .string({ minLength: 1, maxLength: 30 })
  .map((token) => ({ organization_ID: 1, authType: 'static', token, token_Expire_Date: future }));

const putBody = fc.oneof(
  { arbitrary: fc.anything(), weight: 2 },
  { arbitrary: fc.array(item, { minLength: 0, maxLength: 4 }), weight: 6 },
  {
    arbitrary: fc.array(fc.oneof({ arbitrary: validStatic, weight: 3 }, { arbitrary: item, weight: 1 }), { minLength: 1, maxLength: 3 }),
    weight: 3,
  },
  // MAX_BATCH and one past it (few: every accepted one adds 100 rows that each later check counts)
  {
    arbitrary: fc
      .oneof({ arbitrary: fc.constant(100), weight: 1 }, { arbitrary: fc.constant(101), weight: 3 })
      .chain((n) => fc.array(validStatic, { minLength: n, maxLength: n })),
    weight: 1,
  },
  { arbitrary: fc.integer({ min: 10, max: 3000 }).map((n) => JSON.parse('['.repeat(n) + ']'.repeat(n)) as unknown), weight: 1 },
);
const rawPutBody = fc.oneof(
  { arbitrary: putBody.map((body) => JSON.stringify(body) ?? ''), weight: 8 },
  {
    arbitrary: fc.oneof(text, fc.constantFrom('', '[', '[{]', '{"a":1}{', 'null', '"x"', '[1,]', '\uFEFF[]', `[${'{"a":'.repeat(50)}`)),
    weight: 2,
  },
  {
    arbitrary: fc
      .constantFrom(MAX_BODY_BYTES - 20, MAX_BODY_BYTES + 1, MAX_BODY_BYTES * 2)
      .map((n) => `[{"organization_ID":1,"authType":"static","token":"${'t'.repeat(n)}"}]`),
    weight: 1,
  },
);
const contentType = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'Application/JSON',
      'application/vnd.api+json',
      'text/plain',
      'text/json',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      '*/*',
      'application/json;;;',
      'application',
    ),
    weight: 5,
  },
  { arbitrary: text.map(headerSafe), weight: 1 },
);
const contentEncoding = fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-unknown', 'gzip, gzip');
const method = fc.constantFrom(
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'TRACE',
  'PROPFIND',
  'MKCOL',
  'LOCK',
  'SEARCH',
  'PURGE',
  'REPORT',
  'COPY',
  'MOVE',
);
const headerValue = fc.oneof(
  fc.constant(''),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }).map(headerSafe),
  fc.string({ unit: 'binary-ascii', maxLength: 30 }).map(headerSafe),
  fc.integer({ min: 60, max: 1200 }).map((n) => 'k'.repeat(n)),
  fc.constantFrom(
    ' prop ',
    'PROP',
    'prop,prop',
    '00000000-0000-0000-0000-000000000000',
    '{00000000-0000-0000-0000-000000000000}',
    'Bearer ',
    'Bearer a.b.c',
    'Basic Og==',
  ),
);
/** A path segment: anything a client could put there, percent-encoded or raw. */
const pathId = fc.oneof(
  fc.oneof(text, fc.integer().map(String), fc.double().map(String), fc.bigInt().map(String), longUrlText).map((s) => encodeURIComponent(s)),
  fc.constantFrom(
    '0',
    '-1',
    '1',
    '2147483647',
    '2147483648',
    '99999999999',
    '1.0',
    '1e3',
    '0x10',
    '%ZZ',
    '%',
    '%E0%A4%A',
    '%00',
    '1%20',
    '%2e%2e',
    '..',
    '1;x',
    'ab%C3',
  ),
);
/** As typed by a careless client: '%', '&', '=', '+' and brackets stay raw; what HTTP forbids in a request line is encoded. */
const rawQueryPart = (s: string) => s.replace(/[^\x21-\x7e]|#/gu, (c) => encodeURIComponent(c));
const queryKey = fc.oneof(
  fc.constantFrom('limit', 'offset', 'organization_ID', 'description', 'customerId', 'id', 'limit[]', 'offset[a]', '__proto__'),
  text,
);
const queryValue = fc.oneof(
  fc.integer({ min: -10, max: 2000 }).map(String),
  fc.constantFrom('', '1.5', '1e3', '0x10', '99999999999999999999', '-0', ' 1', 'null', '%ZZ', '%'),
  text,
  longUrlText,
);
const queryString = fc.oneof(
  fc
    .array(fc.tuple(queryKey, queryValue, fc.boolean()), { maxLength: 5 })
    .map((pairs) =>
      pairs
        .map(([k, v, raw]) => (raw ? `${rawQueryPart(k)}=${rawQueryPart(v)}` : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
        .join('&'),
    ),
  fc.constantFrom('', '&&&', '=', '==1', 'limit', 'limit=1&limit=2', 'a[b][c]=1', 'limit=%ZZ', 'id=%', `description=${'d'.repeat(300)}`),
);

// hundreds of exchanges per property: seconds on an idle machine, several times that on a busy one
jest.setTimeout(180_000);

beforeAll(async () => {
  h = createHarness({
    // TRUST_PROXY: each token request comes from an address of its own (x-forwarded-for) and mostly names a
    // client of its own, so that the login limits (10 failures a minute) do not answer most of them with 429
    env: {
      AUTH_URL_ALLOWLIST: fake.url,
      UPSTREAM_TIMEOUT_MS: '10000',
      MAX_BODY_BYTES: String(MAX_BODY_BYTES),
      LOG_LEVEL: 'warn',
      TRUST_PROXY: 'loopback',
    },
  });
  server = http.createServer(h.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  admin = await h.key(ENV, 'admin');
  reader = await h.key(ENV, 'reader');
  const client = await h.services.clients.createClient(
    { environment: ENV, role: 'admin', organizationId: null, description: 'property test' },
    'test',
  );
  bearer = (await h.services.clients.issueToken(client.client.clientId, client.secret, ENV)).access_token;
  // a few resources for the ids to hit
  const res = await send({
    method: 'PUT',
    path: '/api/v1/admin/map-tokens',
    headers: { 'content-type': 'application/json', 'atr-environment-id': ENV, 'atr-subscription-key': admin },
    body: JSON.stringify([
      { organization_ID: 1, authType: 'static', token: 'seed-static', token_Expire_Date: future },
      { organization_ID: 2, authType: 'agol', authKey: 'seed-app', authToken: 'seed-secret', authTimeout: 60, authURL: fake.tokenUrl },
    ]),
  });
  expect(res.status).toBe(200);
});

afterAll(async () => {
  agent.destroy();
  await new Promise((resolve) => server?.close(resolve));
  await h?.close();
});

afterEach(() => {
  // a 500 is logged as "unexpected error" even when its answer slipped past a check
  const unexpected = h.logs.filter((line) => line.msg === 'unexpected error').map((line) => (line.err as { message?: string }).message);
  h.logs.length = 0;
  expect(unexpected).toEqual([]);
});

test('random PUT bodies, content types and encodings: a 2xx, or a 4xx envelope that stored nothing', async () => {
  const arbitrary = fc.record({
    body: rawPutBody,
    type: fc.oneof(
      { arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/vnd.api+json'), weight: 6 },
      { arbitrary: contentType, weight: 2 },
      { arbitrary: fc.constant(null), weight: 1 },
    ),
    encoding: fc.oneof({ arbitrary: fc.constant(null), weight: 8 }, { arbitrary: contentEncoding, weight: 1 }),
    gzip: fc
      .boolean()
      .chain((maybe) => (maybe ? fc.boolean() : fc.constant(false)))
      .chain((maybe) => (maybe ? fc.boolean() : fc.constant(false))),
  });
  await run(arbitrary, 600, async ({ body, type, encoding, gzip }) => {
    const headers: Record<string, string> = adminHeaders();
    if (type !== null) headers['content-type'] = type;
    let payload: Buffer | string = body;
    if (gzip) {
      payload = gzipSync(body);
      headers['content-encoding'] = 'gzip';
    } else if (encoding !== null) headers['content-encoding'] = encoding;
    const before = await stored();
    const answer = await exchange({ method: 'PUT', path: '/api/v1/admin/map-tokens', headers, body: payload });
    if (answer.status === 200) {
      const created = (JSON.parse(body) as { mapTokenID?: unknown }[]).filter((i) => i.mapTokenID === undefined).length;
      expect((await stored()).total).toBe(before.total + created);
    }
  });
});

test('random atr-*, authorization, content-type and x-request-id headers on the API routes', async () => {
  const names = [
    'atr-environment-id',
    'atr-partner-id',
    'atr-request-source',
    'atr-subscription-key',
    'authorization',
    'content-type',
    'x-request-id',
  ];
  const arbitrary = fc.record({
    route: fc.constantFrom('token', 'list', 'one', 'put', 'secrets'),
    headers: fc.record(Object.fromEntries(names.map((name) => [name, headerValue])), { requiredKeys: [] }),
    keep: fc.subarray(['atr-environment-id', 'atr-subscription-key']),
  });
  await run(arbitrary, 500, async ({ route, headers, keep }) => {
    // sometimes keep a valid environment or key, so that the other headers get judged too
    const sentHeaders: Record<string, string> = { ...(headers as Record<string, string>) };
    if (keep.includes('atr-environment-id')) sentHeaders['atr-environment-id'] = ENV;
    if (keep.includes('atr-subscription-key')) sentHeaders['atr-subscription-key'] = admin;
    const request: Sent =
      route === 'token'
        ? { method: 'GET', path: '/api/v1/map-tokens/1/token', headers: sentHeaders }
        : route === 'list'
          ? { method: 'GET', path: '/api/v1/admin/map-tokens', headers: sentHeaders }
          : route === 'one'
            ? { method: 'GET', path: '/api/v1/admin/map-tokens/1', headers: sentHeaders }
            : route === 'secrets'
              ? { method: 'POST', path: '/api/v1/auth/clientcredentials?description=x', headers: sentHeaders }
              : {
                  method: 'PUT',
                  path: '/api/v1/admin/map-tokens',
                  headers: sentHeaders,
                  body: JSON.stringify([{ organization_ID: 1, authType: 'static', token: 'via-headers' }]),
                };
    await exchange(request);
  });
});

test('random path ids on every route that takes one', async () => {
  const arbitrary = fc.record({ id: pathId, route: fc.constantFrom('GET one', 'DELETE one', 'token read', 'token preflight') });
  await run(arbitrary, 500, async ({ id, route }) => {
    const request: Sent =
      route === 'GET one'
        ? { method: 'GET', path: `/api/v1/admin/map-tokens/${id}`, headers: adminHeaders() }
        : route === 'DELETE one'
          ? { method: 'DELETE', path: `/api/v1/admin/map-tokens/${id}`, headers: adminHeaders() }
          : route === 'token read'
            ? {
                method: 'GET',
                path: `/api/v1/map-tokens/${id}/token`,
                headers: { 'atr-environment-id': ENV, 'atr-subscription-key': reader },
              }
            : {
                method: 'OPTIONS',
                path: `/api/v1/map-tokens/${id}/token`,
                headers: { origin: 'https://maps.example', 'access-control-request-method': 'GET' },
              };
    await exchange(request);
  });
});

test('random query strings on the list route and the client secret routes', async () => {
  const arbitrary = fc.record({ query: queryString, route: fc.constantFrom('list', 'secrets GET', 'secrets POST', 'secrets DELETE') });
  await run(arbitrary, 500, async ({ query, route }) => {
    const bearerHeaders = { 'atr-environment-id': ENV, authorization: `Bearer ${bearer}` };
    const request: Sent =
      route === 'list'
        ? { method: 'GET', path: `/api/v1/admin/map-tokens?${query}`, headers: adminHeaders() }
        : { method: route.split(' ')[1], path: `/api/v1/auth/clientcredentials?${query}`, headers: bearerHeaders };
    await exchange(request);
  });
});

test('random form and JSON bodies on the OAuth token endpoint', async () => {
  const field = fc.oneof(fc.constantFrom('grant_type', 'client_id', 'client_secret', 'scope'), text);
  const fieldValue: fc.Arbitrary<string | string[]> = fc.oneof(
    fc.constantFrom('client_credentials', 'password', '', 'client_credentials '),
    text,
    longText,
    fc.constant<string[]>(['a', 'b']),
  );
  const arbitrary = fc.record({
    fields: fc
      .tuple(fc.array(fc.tuple(field, fieldValue), { maxLength: 6 }), fc.option(fc.string({ minLength: 1, maxLength: 20 }), { freq: 8 }))
      .map(([fields, clientId]) =>
        clientId === null
          ? fields
          : ([['client_id', `${clientId}-${sent}`], ['client_secret', clientId], ...fields] as [string, string | string[]][]),
      ),
    shape: fc.oneof(
      { arbitrary: fc.constant('form'), weight: 4 },
      { arbitrary: fc.constant('json'), weight: 2 },
      { arbitrary: fc.constant('raw'), weight: 1 },
    ),
    raw: fc.oneof(text, fc.constantFrom('a=%', '%%%', '=&=', 'grant_type', '{"grant_type":', 'a='.repeat(30))),
    type: fc.oneof({ arbitrary: fc.constant(null), weight: 4 }, { arbitrary: contentType, weight: 1 }),
    basic: fc.oneof(
      { arbitrary: fc.constant(null), weight: 4 },
      {
        arbitrary: fc.oneof(
          text.map((s) => `Basic ${Buffer.from(s).toString('base64')}`),
          headerValue,
        ),
        weight: 1,
      },
    ),
    environment: fc.option(headerValue, { freq: 2 }),
  });
  await run(arbitrary, 500, async ({ fields, shape, raw, type, basic, environment }) => {
    const headers: Record<string, string> = { 'x-forwarded-for': `10.${(sent >> 16) & 255}.${(sent >> 8) & 255}.${sent & 255}` };
    let body: string;
    if (shape === 'form') {
      body = fields
        .map(([k, v]) =>
          Array.isArray(v) ? v.map((x) => `${encodeURIComponent(k)}=${x}`).join('&') : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`,
        )
        .join('&');
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (shape === 'json') {
      body = JSON.stringify(Object.fromEntries(fields));
      headers['content-type'] = 'application/json';
    } else {
      body = raw;
    }
    if (type !== null) headers['content-type'] = type;
    if (basic !== null) headers.authorization = basic;
    if (environment !== null) headers['atr-environment-id'] = environment;
    await exchange({ method: 'POST', path: '/api/v1/auth/token', headers, body });
  });
});

test('every method on every route', async () => {
  const routes = [
    '/healthz',
    '/readyz',
    '/metrics',
    '/api/v1/openapi.json',
    '/docs',
    '/docs/init.js',
    '/api/v1/admin/map-tokens',
    '/api/v1/admin/map-tokens/1',
    '/api/v1/map-tokens/1/token',
    '/api/v1/auth/token',
    '/api/v1/auth/clientcredentials',
    '/api/v1/nothing-here',
    '/',
  ];
  const arbitrary = fc.record({
    method,
    route: fc.constantFrom(...routes),
    body: fc.option(fc.oneof(rawPutBody, text), { freq: 2 }),
    type: fc.option(contentType, { freq: 2 }),
    auth: fc.constantFrom('key', 'reader', 'bearer', 'none'),
  });
  await run(arbitrary, 600, async ({ method: verb, route, body, type, auth }) => {
    const headers: Record<string, string> = { 'atr-environment-id': ENV };
    if (auth === 'key') headers['atr-subscription-key'] = admin;
    if (auth === 'reader') headers['atr-subscription-key'] = reader;
    if (auth === 'bearer') headers.authorization = `Bearer ${bearer}`;
    if (type !== null) headers['content-type'] = type;
    await exchange({ method: verb, path: route, headers, body: body ?? undefined });
  });
});
