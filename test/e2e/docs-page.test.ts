import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
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
    server = createServer(harness.app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await browser?.close();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await harness?.close();
  });

  /** A page of the explorer that records what it requests and every script or console error. */
  async function openExplorer(at = origin) {
    const page = await (await launch()).newPage();
    const requested: string[] = [];
    const problems: string[] = [];
    page.on('request', (req) => requested.push(req.url()));
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    await page.goto(`${at}/docs`);
    await page.locator('.opblock').first().waitFor({ timeout: 60_000 });
    return { page, requested, problems };
  }

  it('renders every operation with Swagger UI served from this service, loading nothing from elsewhere', async () => {
    const { page, requested, problems } = await openExplorer();

    // each operation as "METHOD /path", from its method badge and the path beside it
    const operations = await page
      .locator('.opblock-summary')
      .evaluateAll((summaries) =>
        summaries.map(
          (summary) =>
            `${summary.querySelector('.opblock-summary-method')?.textContent?.trim()} ${summary.querySelector('.opblock-summary-path')?.getAttribute('data-path')}`,
        ),
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
    expect(await page.locator('.information-container .title').first().textContent()).toContain('map-token-proxy');
    // Swagger UI lists what it could not resolve or parse in the document here
    expect(await page.locator('.errors-wrapper').count()).toBe(0);

    // the explorer's files and the document came from here; nothing went to another host (no CDN, no
    // validator badge, no telemetry)
    expect(requested).toEqual(
      expect.arrayContaining([
        `${origin}/docs/assets/swagger-ui-bundle.js`,
        `${origin}/docs/assets/swagger-ui.css`,
        `${origin}/docs/init.js`,
        `${origin}/api/v1/openapi.json`,
      ]),
    );
    expect(requested.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:'))).toEqual([]);
    // a Content-Security-Policy violation or a script error shows up here
    expect(problems).toEqual([]);
    await page.close();
  });

  it('sends a request from the page: paste a key under Authorize, Try it out, Execute, and see the answer', async () => {
    const admin = await harness.key('docs-env', 'admin');
    await request(harness.app)
      .put('/api/v1/admin/map-tokens')
      .set({ 'atr-environment-id': 'docs-env', 'atr-subscription-key': admin })
      .send([{ organization_ID: 1, authType: 'static', token: 'tried-from-the-explorer' }])
      .expect(200);
    const { page, problems } = await openExplorer();

    await page.locator('button.authorize').first().click();
    const scheme = page.locator('.auth-container', { hasText: 'atr-subscription-key' });
    await scheme.locator('input').fill(admin);
    await scheme.locator('button.authorize').click();
    await page.locator('.auth-container button.btn-done').first().click();

    const list = page.locator('.opblock.opblock-get', { has: page.locator('[data-path="/api/v1/admin/map-tokens"]') });
    await list.locator('.opblock-summary').click();
    await list.locator('button.try-out__btn').click();
    await list.locator('tr[data-param-name="atr-environment-id"] input').fill('docs-env');
    await list.locator('button.execute').click();

    const answer = list.locator('.live-responses-table tr.response');
    await answer.waitFor({ timeout: 60_000 });
    expect((await answer.locator('.response-col_status').textContent())?.trim()).toBe('200');
    expect(await answer.locator('.response-col_description').textContent()).toContain('tried-from-the-explorer');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('renders when served over plain HTTP under a host name (no upgrade of its own requests to https)', async () => {
    const page = await (await launch()).newPage();
    const failed: string[] = [];
    page.on('requestfailed', (req) => failed.push(`${req.url()} ${req.failure()?.errorText}`));
    const plainOrigin = origin.replace('127.0.0.1', PLAIN_HTTP_HOST);
    await page.goto(`${plainOrigin}/docs`);
    await page.locator('.opblock').first().waitFor({ timeout: 60_000 });
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
      api
        .split(';')
        .filter((directive: string) => directive !== 'upgrade-insecure-requests')
        .join(';'),
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

  it('serves the two files of the Swagger UI package the page needs, without source-map comments, and nothing else of the package', async () => {
    const bundle = await request(harness.app)
      .get('/docs/assets/swagger-ui-bundle.js')
      .expect(200)
      .expect('Content-Type', /javascript/);
    expect(bundle.text.length).toBeGreaterThan(1_000_000);
    expect(bundle.text).toContain('SwaggerUIBundle');
    expect(bundle.text).not.toContain('sourceMappingURL');
    const css = await request(harness.app)
      .get('/docs/assets/swagger-ui.css')
      .expect(200)
      .expect('Content-Type', /text\/css/);
    expect(css.text).toContain('.swagger-ui');
    expect(css.text).not.toContain('sourceMappingURL');
    for (const path of [
      '/docs/assets/package.json',
      '/docs/assets/index.html',
      '/docs/assets/swagger-initializer.js',
      '/docs/assets/swagger-ui-bundle.js.map',
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
