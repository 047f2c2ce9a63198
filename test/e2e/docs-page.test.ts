import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Browser, chromium } from 'playwright-core';
import request from 'supertest';
import { createHarness, Harness } from '../support/harness';

const CHROMIUM = '/usr/bin/chromium';
// docs.test is this machine too: a host name that, unlike 127.0.0.1, the browser treats as plain insecure HTTP
const PLAIN_HTTP_HOST = 'docs.test';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--host-resolver-rules=MAP ${PLAIN_HTTP_HOST} 127.0.0.1`];

jest.setTimeout(60_000);

describe('the /docs API explorer page', () => {
  let harness: Harness;
  let server: Server;
  let origin: string;
  let browser: Browser | undefined;

  async function launch(): Promise<Browser> {
    // fails (never skips) without a browser, so that a CI without Chromium cannot pass silently
    if (!existsSync(CHROMIUM)) throw new Error(`This test needs Debian's Chromium at ${CHROMIUM}; install it with: apt-get install -y chromium`);
    browser ??= await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
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

  it('renders every operation with Swagger UI served from this service, loading nothing from elsewhere', async () => {
    const page = await (await launch()).newPage();
    const requested: string[] = [];
    const problems: string[] = [];
    page.on('request', (req) => requested.push(req.url()));
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });

    await page.goto(`${origin}/docs`);
    await page.locator('.opblock').first().waitFor({ timeout: 20_000 });

    const operations = await page.locator('.opblock-summary').evaluateAll((nodes) =>
      nodes.map((node) => `${node.querySelector('.opblock-summary-method')?.textContent?.trim()} ${node.querySelector('.opblock-summary-path')?.getAttribute('data-path')}`),
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
    expect(await page.locator('.info .title').innerText()).toContain('map-token-proxy');
    expect(await page.locator('body').innerText()).toContain('/api/v1/admin/map-tokens');

    // Swagger UI's own script and the spec came from here; nothing went to another host (no CDN, no validator)
    expect(requested).toEqual(expect.arrayContaining([`${origin}/docs/assets/swagger-ui-bundle.js`, `${origin}/docs/init.js`, `${origin}/api/v1/openapi.json`]));
    expect(requested.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:'))).toEqual([]);
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
    await page.locator('.opblock').first().waitFor({ timeout: 20_000 });
    expect(failed).toEqual([]);
    await page.close();
  });

  it('is served with helmet\'s Content-Security-Policy, which allows no inline script', async () => {
    const page = await request(harness.app).get('/docs').expect(200).expect('Content-Type', /text\/html/);
    const csp = page.headers['content-security-policy'];
    // helmet's defaults, less upgrade-insecure-requests on the page alone
    const api = (await request(harness.app).get('/healthz').expect(200)).headers['content-security-policy'];
    expect(api).toContain('upgrade-insecure-requests');
    expect(csp).toBe(api.split(';').filter((directive: string) => directive !== 'upgrade-insecure-requests').join(';'));
    expect(csp).toMatch(/(^|;)script-src 'self';/);
    expect(csp).toMatch(/(^|;)script-src-attr 'none'/);
    // every script of the page is a file
    expect(page.text.match(/<script\b(?![^>]*\ssrc=)[^>]*>/g)).toBeNull();
    await request(harness.app).get('/docs/init.js').expect(200).expect('Content-Type', /javascript/);
    await request(harness.app).get('/docs/assets/swagger-ui.css').expect(200).expect('Content-Type', /css/);
    // the package's demo page would load the Petstore from the internet
    await request(harness.app).get('/docs/assets/swagger-initializer.js').expect(404);
    await request(harness.app).get('/docs/assets/index.html').expect(404);
    await request(harness.app).post('/docs').expect(405).expect('Allow', 'GET');
  });
});
