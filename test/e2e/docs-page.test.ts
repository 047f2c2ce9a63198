import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import request from 'supertest';
import { launchChromium, PLAIN_HTTP_HOST } from '../support/chromium';
import { createHarness, type Harness } from '../support/harness';

// unpacking the npm browser and its first start take seconds, more on a busy machine
jest.setTimeout(120_000);

describe('the /docs API explorer page', () => {
  let harness: Harness;
  let server: Server;
  let origin: string;
  let browser: Browser | undefined;

  async function launch(): Promise<Browser> {
    browser ??= await launchChromium();
    return browser;
  }

  beforeAll(async () => {
    harness = createHarness();
    server = harness.app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await browser?.close();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await harness?.close();
  });

  it('renders every operation with Redoc served from this service, loading nothing from elsewhere', async () => {
    const page = await (await launch()).newPage();
    const requested: string[] = [];
    const problems: string[] = [];
    page.on('request', (req) => requested.push(req.url()));
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });

    await page.goto(`${origin}/docs`);
    await page.locator('[data-section-id^="operation/"]').first().waitFor({ timeout: 60_000 });

    // each operation as "METHOD /path", from its verb badge and the path beside it
    const operations = await page
      .locator('[data-section-id^="operation/"] .http-verb')
      .evaluateAll((verbs) =>
        verbs.map((verb) => `${verb.textContent?.trim().toUpperCase()} ${verb.nextElementSibling?.textContent?.trim()}`),
      );
    expect(operations).toEqual(
      expect.arrayContaining([
        'PUT /api/v1/admin/map-tokens',
        'GET /api/v1/admin/map-tokens',
        'GET /api/v1/admin/map-tokens/{mapTokenID}',
        'DELETE /api/v1/admin/map-tokens/{mapTokenID}',
        'GET /api/v1/map-tokens/{mapTokenID}/token',
        'POST /api/v1/auth/token',
        'GET /healthz',
      ]),
    );
    expect(await page.locator('h1').first().textContent()).toContain('map-token-proxy');
    expect(await page.locator('body').textContent()).toContain('/api/v1/admin/map-tokens');

    // Redoc's script and the document came from here; nothing went to another host (no CDN, no logo, no telemetry);
    // blob: is the search worker Redoc builds from its own bundle
    expect(requested).toEqual(
      expect.arrayContaining([`${origin}/docs/assets/redoc.standalone.js`, `${origin}/docs/init.js`, `${origin}/api/v1/openapi.json`]),
    );
    expect(
      requested.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith(`blob:${origin}/`) && !url.startsWith('data:')),
    ).toEqual([]);
    // a Content-Security-Policy violation or a script error shows up here
    expect(problems).toEqual([]);
    await page.close();
  });

  it('renders when served over plain HTTP under a host name (no upgrade of its own requests to https)', async () => {
    const page = await (await launch()).newPage();
    const failed: string[] = [];
    page.on('requestfailed', (req) => failed.push(`${req.url()} ${req.failure()?.errorText}`));
    const plainOrigin = origin.replace('127.0.0.1', PLAIN_HTTP_HOST);
    await page.goto(`${plainOrigin}/docs`);
    await page.locator('[data-section-id^="operation/"]').first().waitFor({ timeout: 60_000 });
    expect(failed).toEqual([]);
    await page.close();
  });

  it("is served with helmet's Content-Security-Policy, which allows no inline script", async () => {
    const page = await request(harness.app)
      .get('/docs')
      .expect(200)
      .expect('Content-Type', /text\/html/);
    const csp = page.headers['content-security-policy'];
    // helmet's defaults, less upgrade-insecure-requests on the page alone
    const api = (await request(harness.app).get('/healthz').expect(200)).headers['content-security-policy'];
    expect(api).toContain('upgrade-insecure-requests');
    expect(csp).toBe(
      [...api.split(';').filter((directive: string) => directive !== 'upgrade-insecure-requests'), "worker-src 'self' blob:"].join(';'),
    );
    expect(csp).toMatch(/(^|;)script-src 'self';/);
    expect(csp).toMatch(/(^|;)script-src-attr 'none'/);
    // every script of the page is a file
    expect(page.text.match(/<script\b(?![^>]*\ssrc=)[^>]*>/g)).toBeNull();
    await request(harness.app)
      .get('/docs/init.js')
      .expect(200)
      .expect('Content-Type', /javascript/);
    await request(harness.app).post('/docs').expect(405).expect('Allow', 'GET');
  });

  it('serves a favicon, which browsers fetch on their own (a 404 would be a console error in Chromium 156)', async () => {
    const icon = await request(harness.app)
      .get('/favicon.ico')
      .expect(200)
      .expect('Content-Type', /image\/svg\+xml/);
    expect(String(icon.body)).toContain('<svg');
    await request(harness.app).delete('/favicon.ico').expect(405).expect('Allow', 'GET');
  });

  it('serves the one file of the Redoc package the page needs, without its logo from a CDN, and nothing else of the package', async () => {
    const bundle = await request(harness.app)
      .get('/docs/assets/redoc.standalone.js')
      .expect(200)
      .expect('Content-Type', /javascript/);
    expect(bundle.text.length).toBeGreaterThan(100_000);
    expect(bundle.text).toContain('Redoc');
    expect(bundle.text).not.toContain('cdn.redoc.ly');
    for (const path of [
      '/docs/assets/package.json',
      '/docs/assets/README.md',
      '/docs/assets/redoc.standalone.js.map',
      '/docs/assets/',
      '/docs/assets/../package.json',
      '/docs/assets/%2e%2e/package.json',
    ]) {
      const res = await request(harness.app).get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(res.body.code).toBe('NotFound');
    }
  });
});
