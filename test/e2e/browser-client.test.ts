import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { launchChromium } from '../support/chromium';
import { FakeArcgis } from '../support/fake-arcgis';
import { FakeClock } from '../support/fake-clock';
import { FakeMapService } from '../support/fake-map-service';
import { createHarness, type Harness } from '../support/harness';
import { SdkTestPage } from '../support/sdk-test-page';

/**
 * The browser client in Chromium with the real ArcGIS Maps SDK (@arcgis/core, bundled and served by the page's
 * own server): a page on one origin imports the module from the running service on another, against the
 * ArcGIS stand-in granting 8-second tokens and a stand-in ArcGIS Server whose secured map services answer
 * 498/499 as ArcGIS does. Real time throughout: the browser's clock cannot be faked from here.
 */
const LIFETIME_S = 8;
const ENVIRONMENT = 'floors';
const YEAR_MS = 365 * 24 * 3600 * 1000;

jest.setTimeout(180_000);

/** The service's clock is the real one, as the browser's is. */
class RealClock extends FakeClock {
  override now(): number {
    return Date.now();
  }
}

describe('the browser client with the ArcGIS Maps SDK in Chromium', () => {
  let arcgis: FakeArcgis;
  let map: FakeMapService;
  let site: SdkTestPage;
  let harness: Harness;
  let service: http.Server;
  let serviceUrl: string;
  let browser: Browser;
  let readerKey: string;
  let adminKey: string;
  /** Token reads (GET) and reports (POST) the service answered, by map token id. */
  const reads = new Map<number, { get: number; post: number }>();
  const foreign: string[] = [];
  const pageErrors: string[] = [];

  const put = async (item: Record<string, unknown>): Promise<number> => {
    const res = await request(harness.app)
      .put('/api/v1/admin/map-tokens')
      .set({ 'atr-environment-id': ENVIRONMENT, 'atr-subscription-key': adminKey })
      .send([{ organization_ID: 1, ...item }]);
    expect(res.status).toBe(200);
    return res.body.result[0].mapTokenID;
  };
  const enterprise = () => put({ authType: 'enterprise', authKey: 'viewer', authToken: 'pw', authURL: map.generateTokenUrl });
  const readsOf = (id: number) => reads.get(id) ?? { get: 0, post: 0 };

  async function openPage(): Promise<Page> {
    // the stand-in's https side has a self-signed certificate
    const page = await browser.newPage({ ignoreHTTPSErrors: true });
    page.on('request', (req) => {
      if (!/^https?:\/\/127\.0\.0\.1:/.test(req.url())) foreign.push(req.url());
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      // Chromium logs every HTTP error status (the map service's 498, a 404 for the favicon) as a console error
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        pageErrors.push(`console: ${message.text()}`);
    });
    // what the page still waits for, should it not start
    const pending = new Set<string>();
    page.on('request', (req) => pending.add(req.url()));
    page.on('requestfinished', (req) => pending.delete(req.url()));
    page.on('requestfailed', (req) => pending.delete(req.url()));
    await page.goto(site.url, { waitUntil: 'commit' });
    await page
      .waitForFunction(() => (globalThis as unknown as { pageReady?: boolean }).pageReady === true, undefined, { timeout: 60_000 })
      .catch((error: Error) => {
        throw new Error(`the test page did not start: ${error.message}; waiting for ${[...pending].join(', ')}; ${pageErrors.join('; ')}`);
      });
    return page;
  }

  const connect = (page: Page, mapTokenID: number) =>
    page.evaluate((options) => (globalThis as unknown as PageApi).page.connect(options), {
      service: serviceUrl,
      mapTokenID,
      environment: ENVIRONMENT,
      key: readerKey,
    });
  const inPage = <T>(page: Page, fn: (api: PageApi['page'], arg: string) => T | Promise<T>, arg = ''): Promise<T> =>
    page.evaluate(
      ({ body, arg }) => new Function('api', 'arg', `return (${body})(api, arg)`)((globalThis as unknown as PageApi).page, arg),
      {
        body: fn.toString(),
        arg,
      },
    ) as Promise<T>;

  beforeAll(async () => {
    arcgis = new FakeArcgis({ lifetimeSeconds: LIFETIME_S });
    await arcgis.start();
    map = new FakeMapService(arcgis);
    await map.start();
    site = new SdkTestPage();
    await site.start();
    harness = createHarness({
      clock: new RealClock(),
      arcgisOrigin: map.url,
      env: { CORS_ALLOWED_ORIGINS: site.url, REFRESH_AHEAD: 'all' },
      random: () => 0,
    });
    service = http.createServer((req, res) => {
      const id = /^\/api\/v1\/map-tokens\/(\d+)\/token$/.exec(req.url ?? '')?.[1];
      if (id && (req.method === 'GET' || req.method === 'POST')) {
        const count = reads.get(Number(id)) ?? { get: 0, post: 0 };
        count[req.method === 'GET' ? 'get' : 'post'] += 1;
        reads.set(Number(id), count);
      }
      harness.app(req, res);
    });
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
    serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
    site.setService(serviceUrl);
    harness.services.scheduler?.start();
    adminKey = await harness.key(ENVIRONMENT, 'admin');
    readerKey = await harness.key(ENVIRONMENT, 'reader');
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    service?.closeAllConnections();
    await new Promise<void>((resolve) => (service ? service.close(() => resolve()) : resolve()));
    await harness?.close();
    await Promise.all([site?.stop(), map?.stop(), arcgis?.stop()]);
  });

  afterEach(() => {
    // nothing came from a CDN or ArcGIS Online, and no script failed
    expect(foreign).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('registers the token and each renewal before the last one expires, over two lifetimes; stop() leaves no timer or hook', async () => {
    const id = await enterprise();
    const page = await openPage();
    const first = await connect(page, id);
    expect(first.server).toBe(map.servicesUrl);
    const layer = map.mapServiceUrl('Floors');
    const started = Date.now();
    // a page drawing its floor map: a request to the secured service every half second
    while (Date.now() - started < 2 * LIFETIME_S * 1000 + 2_000 || (await inPage(page, (api) => api.changes.length)) < 3) {
      expect(await inPage(page, (api, url) => api.request(url), layer)).toMatchObject({ ok: true });
      expect(await inPage(page, (api, server) => api.credentialToken(server), map.servicesUrl)).toBe(
        await inPage(page, (api) => api.current()?.token),
      );
      await page.waitForTimeout(500);
      expect(Date.now() - started).toBeLessThan(120_000);
    }
    const changes = await inPage(page, (api) => api.changes);
    for (let i = 1; i < changes.length; i++) expect(changes[i].at).toBeLessThan(changes[i - 1].expires as number);
    // a first request to a service goes without a token (499) and the SDK sends it again with the credential; never a 498
    expect(map.requests.filter((r) => r.service === 'Floors' && r.answer === 498)).toEqual([]);
    const perLifetime = readsOf(id).get / changes.length;
    process.stdout.write(
      `[browser client] ${readsOf(id).get} token reads for ${changes.length} tokens: ${perLifetime.toFixed(2)} per lifetime\n`,
    );
    expect(perLifetime).toBeLessThanOrEqual(2);

    await inPage(page, (api) => api.stop());
    expect(await inPage(page, (api) => api.getCredentialIsTheSdks())).toBe(true);
    const after = readsOf(id).get;
    await page.waitForTimeout(LIFETIME_S * 1000);
    expect(readsOf(id).get).toBe(after);
    await page.close();
  });

  it.each([
    ['an HTTP 200 JSON error', 'json-200' as const, 'Json498'],
    ['HTTP status 498', 'http-498' as const, 'Status498'],
  ])(
    'when ArcGIS refuses the token with 498 as %s: one report, the new token, the request succeeds, no sign-in dialog',
    async (_form, form, name) => {
      const id = await enterprise();
      map.rejectWith(name, form);
      const page = await openPage();
      const first = await connect(page, id);
      map.revoke(first.token);

      expect(await inPage(page, (api, url) => api.request(url), map.mapServiceUrl(name))).toMatchObject({
        ok: true,
        data: { mapName: name },
      });
      const current = await inPage(page, (api) => api.current());
      expect(current?.token).not.toBe(first.token);
      expect(map.requests.filter((r) => r.service === name && r.answer !== 499).map((r) => [r.answer, r.token])).toEqual([
        [498, first.token],
        ['ok', current?.token],
      ]);
      expect(readsOf(id).post).toBe(1);
      // the SDK's own getCredential (which destroys the credential and opens the dialog) never saw a 498
      expect(await inPage(page, (api) => api.sdkOwnCalls.filter((call) => call.status === 498))).toEqual([]);
      expect(await inPage(page, (api) => api.dialogs)).toEqual([]);
      await inPage(page, (api) => api.stop());
      await page.close();
    },
  );

  it('gives the request its 498 with no loop and no dialog when the service answers the same token again (its 30-second window)', async () => {
    const id = await enterprise();
    map.rejectWith('Again', 'json-200');
    const page = await openPage();
    const first = await connect(page, id);
    // a report a moment ago used the window: the next one within 30 s is answered with the same token
    const second = await inPage(page, (api, token) => api.report(token), first.token);
    expect(second.token).not.toBe(first.token);
    map.revoke(second.token);

    const failed = await inPage(page, (api, url) => api.request(url), map.mapServiceUrl('Again'));
    expect(failed).toMatchObject({ ok: false, status: 498 });
    expect(readsOf(id).post).toBe(2);
    expect(map.requests.filter((r) => r.service === 'Again' && r.answer !== 499)).toEqual([
      { service: 'Again', token: second.token, answer: 498 },
    ]);
    // the SDK's own getCredential (which destroys the credential and opens the dialog) never saw a 498
    expect(await inPage(page, (api) => api.sdkOwnCalls.filter((call) => call.status === 498))).toEqual([]);
    expect(await inPage(page, (api) => api.dialogs)).toEqual([]);
    await inPage(page, (api) => api.stop());
    await page.close();
  });

  it('registers a static token with its server, and a one-year token sets no short timer', async () => {
    const expires = Date.now() + YEAR_MS;
    map.accept('static-floor-token', expires);
    const id = await put({
      authType: 'static',
      token: 'static-floor-token',
      token_Expire_Date: new Date(expires).toISOString(),
      server: map.secureServicesUrl,
    });
    const page = await openPage();
    expect(await connect(page, id)).toMatchObject({ token: 'static-floor-token', server: map.secureServicesUrl });
    expect(await inPage(page, (api, server) => api.credentialToken(server), map.secureServicesUrl)).toBe('static-floor-token');
    expect(await inPage(page, (api, url) => api.request(url), `${map.secureServicesUrl}/Static/MapServer`)).toMatchObject({ ok: true });
    // the year is waited out in steps of the longest delay a browser keeps; a wrapped delay would fetch again at once
    expect(await inPage(page, (api) => api.timerDelays)).toContain(2 ** 31 - 1);
    await page.waitForTimeout(2_000);
    expect(readsOf(id).get).toBe(1);
    await inPage(page, (api) => api.stop());
    await page.close();
  });

  it('sets a static token without server as esriConfig.apiKey, registers nothing and sets no timer', async () => {
    const id = await put({ authType: 'static', token: 'static-api-key' });
    const page = await openPage();
    expect(await connect(page, id)).toMatchObject({ token: 'static-api-key', server: null, expires: null });
    expect(await inPage(page, (api) => api.apiKey())).toBe('static-api-key');
    expect(await inPage(page, (api) => api.credentialCount())).toBe(0);
    await page.waitForTimeout(1_000);
    expect(readsOf(id).get).toBe(1);
    await inPage(page, (api) => api.stop());
    await page.close();
  });
});

interface TokenAnswerInPage {
  token: string;
  expires: number | null;
  server: string | null;
}

/** What the test page (support/sdk-test-page.ts) puts on window. */
interface PageApi {
  page: {
    sdkOwnCalls: { url: string; token: string | null; status: number | null }[];
    dialogs: number[];
    timerDelays: number[];
    changes: { token: string; expires: number | null; at: number }[];
    getCredentialIsTheSdks(): boolean;
    connect(options: object): Promise<TokenAnswerInPage>;
    current(): TokenAnswerInPage | null;
    report(token: string): Promise<TokenAnswerInPage>;
    stop(): void;
    credentialToken(server: string): string | null;
    credentialCount(): number;
    apiKey(): string | null;
    request(url: string): Promise<{ ok: boolean; data?: unknown; status?: number | null }>;
  };
}
