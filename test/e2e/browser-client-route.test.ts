import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { createHarness, type Harness } from '../support/harness';

const DIST = join(__dirname, '..', '..', 'dist', 'client');

describe('GET /client/map-token-client.js and .d.ts', () => {
  let harness: Harness;
  beforeAll(() => {
    harness = createHarness();
  });
  afterAll(() => harness.close());

  it.each([
    ['/client/map-token-client.js', /^text\/javascript/, 'map-token-client.js'],
    ['/client/map-token-client.d.ts', /^text\/plain/, 'map-token-client.d.ts'],
  ])('serves %s as built, to every origin, cached 5 minutes and revalidated by ETag', async (path, type, file) => {
    const res = await request(harness.app).get(path).set('Origin', 'https://floors.example.com').expect(200);
    expect(res.headers['content-type']).toMatch(type);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.text).toBe(readFileSync(join(DIST, file), 'utf8'));
    const etag = res.headers.etag;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);

    const again = await request(harness.app).get(path).set('If-None-Match', etag).expect(304);
    expect(again.text).toBe('');
    await request(harness.app).get(path).set('If-None-Match', '"another"').expect(200);
    await request(harness.app).post(path).expect(405).expect('Allow', 'GET');
  });

  it('serves a module that exports connectMapToken and declarations that stand alone', async () => {
    const js = await request(harness.app).get('/client/map-token-client.js').expect(200);
    expect(js.headers['x-typescript-types']).toBe('/client/map-token-client.d.ts');
    expect(js.text).toMatch(/export\s*\{[^}]*connectMapToken/);
    expect(js.text).not.toMatch(/^\s*import\b/m);
    const dts = await request(harness.app).get('/client/map-token-client.d.ts').expect(200);
    expect(dts.text).toContain('export declare function connectMapToken(options: ConnectOptions): MapTokenConnection;');
    expect(dts.text).not.toMatch(/^\s*import\b/m);
  });
});
