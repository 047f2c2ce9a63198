import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import request from 'supertest';
import { useFakeArcgis } from '../support/use-fake-arcgis';
import { createHarness, type Harness } from '../support/harness';
import { ENV, Fuzzer, headerSafe, type Json } from '../support/openapi-fuzzer';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * The OpenAPI document and the service cannot drift apart: every operation of the document the app
 * serves gets generated requests, valid ones (values drawn from each parameter's and body's schema,
 * the body seeded from the document's own examples) and invalid ones (one thing broken: a header, the
 * path, the query, the body, the credentials). Every answer must carry a status the operation
 * documents, a content type it documents for that status, a body valid against that response's schema,
 * and the headers it declares in their declared form; a request whose parameter breaks its documented
 * schema must be refused (4xx). Over the embedded store and MySQL, fixed seed, in `npm test`.
 */

const SEED = 14_2026;
const RUNS_PER_OPERATION = 24;

describe.each([
  ['the embedded store', false],
  ['MySQL', true],
])('every operation of the OpenAPI document, fuzzed over %s', (_name, useMysql) => {
  const fake = useFakeArcgis();
  let db: TestDatabase | undefined;
  let h: Harness;
  let server: http.Server;
  let fuzzer: Fuzzer;

  beforeAll(async () => {
    if (useMysql) db = await createTestDatabase();
    h = createHarness({ mysqlUrl: db?.url, arcgisOrigin: fake.url, env: { TRUST_PROXY: 'false' } });
    server = http.createServer(h.app).listen(0, '127.0.0.1');
    await new Promise((done) => server.once('listening', done));
    const adminKey = await h.key(ENV);
    const readerKey = await h.key(ENV, 'reader');
    const { client, secret } = await h.services.clients.createClient(
      { environment: ENV, role: 'admin', organizationId: null, description: 'fuzz' },
      'test',
    );
    const bearer = (await h.services.clients.issueToken(client.clientId, secret, ENV)).access_token;
    const principal = await h.services.access.authenticate(ENV, { authorization: `Bearer ${bearer}` });
    const ctx = { environment: ENV, requestId: 'fuzz-setup', actor: 'test', partnerId: null };
    const secretIds: string[] = [];
    for (let i = 0; i < 4; i++) secretIds.push((await h.services.clients.createSecret(principal, ctx, `spare ${i}`, undefined)).id);
    const put = await request(h.app)
      .put('/api/v1/admin/map-tokens')
      .set({ 'atr-environment-id': ENV, 'atr-subscription-key': adminKey })
      .send(['fuzz-a', 'fuzz-b', 'fuzz-c'].map((token) => ({ organization_ID: 1, authType: 'static', token })));
    expect(put.status).toBe(200);
    const mapTokenIds = (put.body.result as { mapTokenID: number }[]).map((item) => item.mapTokenID);
    const document = (await request(h.app).get('/api/v1/openapi.json').expect(200)).body as Json;
    fuzzer = new Fuzzer(document, (server.address() as AddressInfo).port, {
      adminKey,
      readerKey,
      bearer,
      clientId: client.clientId,
      clientSecret: secret,
      mapTokenIds,
      secretIds,
      arcgisTokenUrl: fake.tokenUrl,
    });
  });

  afterAll(async () => {
    fuzzer?.agent.destroy();
    await new Promise((done) => server.close(done));
    await h.close();
    await db?.drop();
  });

  it('answers valid and invalid requests to every operation only as the document says', async () => {
    const operations = fuzzer.operations();
    expect(operations.length).toBeGreaterThanOrEqual(15);
    for (const op of operations) {
      for (const kind of ['valid', 'invalid'] as const) {
        await fc.assert(
          fc.asyncProperty(kind === 'valid' ? fuzzer.valid(op) : fuzzer.invalid(op), async (sent) => {
            fuzzer.check(op, sent, await fuzzer.send(sent));
          }),
          { seed: SEED, numRuns: RUNS_PER_OPERATION, endOnFailure: true },
        );
      }
    }
    // the generated requests reach both the successes and the refusals of every operation
    for (const op of operations) {
      const statuses = [...(fuzzer.seen.get(`${op.method} ${op.path}`) ?? [])];
      const documented = Object.keys(op.op.responses).map(Number);
      expect({ op: `${op.method} ${op.path}`, success: statuses.some((status) => status < 300) }).toEqual({
        op: `${op.method} ${op.path}`,
        success: true,
      });
      if (documented.some((status) => status >= 400 && status < 500)) {
        expect({ op: `${op.method} ${op.path}`, refused: statuses.some((status) => status >= 400) }).toEqual({
          op: `${op.method} ${op.path}`,
          refused: true,
        });
      }
    }
    expect(fuzzer.sent).toBe(operations.length * RUNS_PER_OPERATION * 2);
  });

  it('answers every operation the same whatever the letter case of its path or a trailing slash, and a doubled slash with an error, never a 5xx', async () => {
    const safe = new Set(['GET', 'HEAD', 'OPTIONS']);
    for (const op of fuzzer.operations()) {
      // the path's own words in other letter cases; parameter values are left as they are
      const respelled = (path: string, change: (word: string) => string) => {
        const literal = op.path.split(/\{[^}]+\}/);
        let out = path;
        for (const part of literal) out = out.replace(part, change(part));
        return out;
      };
      for (const sent of fc.sample(fuzzer.valid(op), { seed: SEED, numRuns: 3 })) {
        const [path, query] = sent.path.split('?') as [string, string | undefined];
        const withQuery = (p: string) => (query === undefined ? p : `${p}?${query}`);
        const usual = await fuzzer.send(sent);
        fuzzer.check(op, sent, usual);
        const spellings = [
          withQuery(respelled(path, (word) => word.toUpperCase())),
          withQuery(respelled(path, (word) => [...word].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join(''))),
          withQuery(`${path}/`),
          withQuery(`${respelled(path, (word) => word.toUpperCase())}/`),
        ];
        for (const spelling of spellings) {
          const respelledSent = { ...sent, path: spelling };
          const answer = await fuzzer.send(respelledSent);
          fuzzer.check(op, respelledSent, answer);
          // reads can be compared with the usual spelling's answer (writes change what the next one finds)
          if (safe.has(op.method.toUpperCase())) expect({ spelling, status: answer.status }).toEqual({ spelling, status: usual.status });
        }
        for (const doubled of [withQuery(path.replace('/', '//')), withQuery(path.replace(/\/([^/]*)$/, '//$1'))]) {
          const answer = await fuzzer.send({ ...sent, path: doubled });
          expect({ doubled, server: answer.status >= 500 }).toEqual({ doubled, server: false });
          if (answer.status >= 400)
            expect(JSON.parse(answer.text)).toMatchObject({ code: expect.any(String), requestId: expect.any(String) });
        }
      }
    }
  });
});

describe('what the fuzz step cannot see from answers alone', () => {
  let h: Harness;
  let document: Json;
  beforeAll(async () => {
    h = createHarness();
    document = (await request(h.app).get('/api/v1/openapi.json').expect(200)).body as Json;
  });
  afterAll(() => h.close());

  it('credentials are security schemes, never parameters: no operation declares atr-subscription-key or Authorization', () => {
    const fuzzer = new Fuzzer(document, 0, {} as never);
    for (const op of fuzzer.operations()) {
      const names = op.parameters.map((parameter) => String(parameter.name).toLowerCase());
      expect({ op: `${op.method} ${op.path}`, names }).toEqual({
        op: `${op.method} ${op.path}`,
        names: expect.not.arrayContaining(['atr-subscription-key', 'authorization']),
      });
    }
    const schemes = document.components.securitySchemes as Json;
    expect(schemes.subscriptionKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'atr-subscription-key' });
    expect(schemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('any x-request-id is accepted (a value that is not safe is replaced), so the document gives it no pattern', async () => {
    const parameter = document.components.parameters['x-request-id'] as Json;
    expect(parameter.schema).toEqual({ type: 'string' });
    for (const value of ['has space', 'x'.repeat(129), '', 'ünï']) {
      const res = await request(h.app)
        .get('/healthz')
        .set('x-request-id', headerSafe(value) === value ? value : 'a,b');
      expect(res.status).toBe(200);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});
