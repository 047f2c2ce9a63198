import request from 'supertest';
import { createHarness, type Harness } from '../support/harness';
import { putStaticToken } from '../support/map-token-requests';

/**
 * Every label of the request metrics takes a bounded set of values: the `route` label is the route's
 * template (or `unmatched`), so no spelling of a path (letter case, slashes, percent-escapes, ids with
 * leading zeros) makes a new series. Express matches paths case-insensitively: a label taken from the
 * path as sent grew one series per spelling, never freed.
 */

const ENV = 'labels';

// some three thousand requests in one test: generous for a busy machine
jest.setTimeout(300_000);

/** Every route the app serves, with the template its label must be, and the methods it is asked with. */
const ROUTES: { path: string; template: string; methods: string[] }[] = [
  { path: '/api/v1/map-tokens/1/token', template: '/api/v1/map-tokens/:mapTokenID/token', methods: ['GET', 'POST', 'OPTIONS', 'HEAD'] },
  { path: '/api/v1/admin/map-tokens', template: '/api/v1/admin/map-tokens', methods: ['GET', 'PUT', 'PATCH'] },
  { path: '/api/v1/admin/map-tokens/999', template: '/api/v1/admin/map-tokens/:mapTokenID', methods: ['GET', 'DELETE'] },
  { path: '/api/v1/auth/token', template: '/api/v1/auth/token', methods: ['POST', 'GET'] },
  { path: '/api/v1/auth/clientcredentials', template: '/api/v1/auth/clientcredentials', methods: ['GET', 'POST', 'DELETE'] },
  { path: '/api/v1/openapi.json', template: '/api/v1/openapi.json', methods: ['GET'] },
  { path: '/docs', template: '/docs', methods: ['GET'] },
  { path: '/docs/init.js', template: '/docs/init.js', methods: ['GET'] },
  { path: '/favicon.ico', template: '/favicon.ico', methods: ['GET'] },
  { path: '/healthz', template: '/healthz', methods: ['GET', 'POST'] },
  { path: '/readyz', template: '/readyz', methods: ['GET'] },
];

/** A small seeded generator, so that each round spells paths differently but reproducibly. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** Spellings of one path that Express (or the fast token read) may route, or may refuse. */
function spellings(path: string, random: () => number): string[] {
  const mixed = [...path].map((c) => (random() < 0.5 ? c.toUpperCase() : c.toLowerCase())).join('');
  const letter = path.search(/[a-z]/);
  const escaped = `${path.slice(0, letter)}%${path.charCodeAt(letter).toString(16)}${path.slice(letter + 1)}`;
  const escapedUpper = escaped.replace(/%([0-9a-f]{2})/, (_m, hex: string) => `%${hex.toUpperCase()}`);
  // ids no row has: a DELETE must not change what the next round is answered
  const id = String(1000 + Math.floor(random() * 1e6));
  const withIds = [id, `0${id}`, `000000000${id}`, `${id}%20`].map((value) => path.replace(/\/(1|999)(\/|$)/, `/${value}$2`));
  return [
    path.toUpperCase(),
    mixed,
    `${mixed}/`,
    `${path}//`,
    path.replaceAll('/', '//'),
    path.replace('/', '/./'),
    escaped,
    escapedUpper,
    `${mixed}?x=${id}`,
    ...withIds,
  ];
}

async function sendAll(h: Harness, key: string, random: () => number): Promise<void> {
  for (const { path, methods } of ROUTES) {
    for (const spelling of spellings(path, random)) {
      for (const method of methods) {
        await request(h.app)
          [method.toLowerCase() as 'get'](spelling)
          .set('atr-environment-id', ENV)
          .set('atr-subscription-key', key)
          .set('Content-Type', 'application/json')
          .send(method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? undefined : '{}');
      }
    }
  }
}

async function series(h: Harness, name: string): Promise<{ labels: Partial<Record<string, string | number>> }[]> {
  const metric = h.metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  return (await metric.get()).values;
}

describe('request metrics: a bounded set of series, whatever the path spelling', () => {
  let h: Harness;
  let key: string;

  beforeAll(async () => {
    h = createHarness();
    key = await h.key(ENV);
    await putStaticToken(h.app, ENV, key, 'labels-token');
  });
  afterAll(() => h.close());

  it('labels each request with its route template or unmatched, and more rounds of new spellings add no series', async () => {
    // two rounds first: the login rate limit starts answering 429 during them, a status of its own
    await sendAll(h, key, seeded(1));
    await sendAll(h, key, seeded(4));
    const templates = new Set([...ROUTES.map((route) => route.template), 'unmatched']);
    const requests = await series(h, 'mtp_http_requests_total');
    const durations = await series(h, 'mtp_http_request_duration_seconds');
    for (const { labels } of [...requests, ...durations]) {
      expect(templates).toContain(labels.route);
      expect(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'OTHER']).toContain(labels.method);
      if (labels.status !== undefined) expect(String(labels.status)).toMatch(/^[1-5]\d\d$/);
    }
    // every route was labelled by its template at least once (the spellings did reach the routes)
    const labelled = new Set(requests.map(({ labels }) => labels.route));
    for (const { template } of ROUTES) expect(labelled).toContain(template);

    const before = { requests: requests.length, durations: durations.length };
    await sendAll(h, key, seeded(2));
    expect({
      requests: (await series(h, 'mtp_http_requests_total')).length,
      durations: (await series(h, 'mtp_http_request_duration_seconds')).length,
    }).toEqual(before);
  });

  it('labels every method beyond the seven the API uses OTHER, so methods add at most one series per route and status', async () => {
    // the methods Node's parser takes that the API never answers with a route (superagent knows these by name)
    const others = [
      'propfind',
      'proppatch',
      'mkcol',
      'copy',
      'move',
      'lock',
      'unlock',
      'purge',
      'search',
      'report',
      'notify',
      'subscribe',
      'unsubscribe',
      'checkout',
      'merge',
      'trace',
    ];
    const send = async () => {
      for (const method of others) {
        for (const { path } of ROUTES) await request(h.app)[method as 'get'](path).set('atr-environment-id', ENV);
      }
    };
    await send();
    const first = await series(h, 'mtp_http_requests_total');
    const methods = new Set(first.map(({ labels }) => labels.method));
    expect(methods).toContain('OTHER');
    for (const method of others) expect(methods).not.toContain(method.toUpperCase());
    await send();
    expect((await series(h, 'mtp_http_requests_total')).length).toBe(first.length);
    expect((await series(h, 'mtp_http_request_duration_seconds')).every(({ labels }) => labels.method !== 'PROPFIND')).toBe(true);
  });

  it('GET /API/v1/Map-Tokens/1/token is counted under the token route template', async () => {
    const res = await request(h.app).get('/API/v1/Map-Tokens/1/token').set('atr-environment-id', ENV).set('atr-subscription-key', key);
    expect(res.status).toBe(200);
    const text = (await request(h.app).get('/metrics').expect(200)).text;
    const routes = new Set([...text.matchAll(/route="([^"]*)"/g)].map((match) => match[1]));
    expect(routes).toContain('/api/v1/map-tokens/:mapTokenID/token');
    expect(text).not.toContain('Map-Tokens');
    for (const route of routes) expect([...ROUTES.map((r) => r.template), 'unmatched', '/metrics']).toContain(route);
  });
});
