import { createConnection } from '../../client/src/connection';
import type { CredentialRequest } from '../../client/src/map-token-client';
import { FakePageRuntime, tokenAnswer } from '../support/fake-page-runtime';

const SERVER = 'https://gis.example.com/arcgis/rest/services';
const LAYER = `${SERVER}/Floors/MapServer/0`;
const options = { service: 'https://tokens.example.com', mapTokenID: 7, environment: 'prod', key: 'mtp_reader' };

/** The parts of @arcgis/core's IdentityManager the client uses, with getCredential on the prototype as there. */
class FakeIdentityManager {
  registered: { server: string; token: string; expires?: number; ssl?: boolean }[] = [];
  sdkCalls: { url: string; token?: string }[] = [];
  registerToken(properties: { server: string; token: string; expires?: number; ssl?: boolean }): void {
    if (!properties.server) throw new TypeError("Cannot read properties of null (reading 'trim')");
    this.registered.push(properties);
  }
  findCredential(url: string) {
    const last = [...this.registered].reverse().find((credential) => url.startsWith(credential.server));
    return last ? { server: last.server, token: last.token } : undefined;
  }
  async getCredential(url: string, request?: CredentialRequest): Promise<unknown> {
    // the SDK's own: would destroy the credential and open the sign-in dialog
    this.sdkCalls.push({ url, token: request?.token });
    return { dialog: true };
  }
}

const invalidToken = () => Object.assign(new Error('Invalid token.'), { details: { httpStatus: 498 } });

describe('the browser client with the ArcGIS Maps SDK', () => {
  let page: FakePageRuntime;
  let im: FakeIdentityManager;
  beforeEach(() => {
    page = new FakePageRuntime();
    im = new FakeIdentityManager();
  });

  it('registers every new token for its server, with expires and ssl', async () => {
    page.answers.push({ body: tokenAnswer(page.now(), 'one', 10, SERVER) });
    const conn = createConnection({ ...options, identityManager: im }, page);
    await conn.ready;
    expect(im.registered).toEqual([{ server: SERVER, token: 'one', expires: page.now() + 10_000, ssl: true }]);
    conn.stop();
  });

  it('sets a static token without server as esriConfig.apiKey and never calls registerToken with a null server', async () => {
    page.answers.push({ body: tokenAnswer(page.now(), 'api-key', null, null) });
    const esriConfig: { apiKey?: string | null } = {};
    const conn = createConnection({ ...options, identityManager: im, esriConfig }, page);
    await conn.ready;
    expect(esriConfig.apiKey).toBe('api-key');
    expect(im.registered).toEqual([]);
    conn.stop();
  });

  it("answers the SDK's 498 for its token with one report and the new credential; no call reaches the SDK's own getCredential", async () => {
    page.answers.push({ body: tokenAnswer(page.now(), 'one', 100, SERVER) });
    const conn = createConnection({ ...options, identityManager: im }, page);
    await conn.ready;
    page.answers.push({ body: tokenAnswer(page.now(), 'two', 100, SERVER) });
    const credentials = await Promise.all([
      im.getCredential(LAYER, { token: 'one', error: invalidToken() }),
      im.getCredential(`${SERVER}/Rooms/FeatureServer/0`, { token: 'one', error: invalidToken() }),
    ]);
    expect(credentials).toEqual([
      { server: SERVER, token: 'two' },
      { server: SERVER, token: 'two' },
    ]);
    expect(page.calls.filter((call) => call.method === 'POST')).toHaveLength(1);
    // a request still carrying the old token gets the current credential without another report
    expect(await im.getCredential(LAYER, { token: 'one', error: invalidToken() })).toEqual({ server: SERVER, token: 'two' });
    expect(page.calls).toHaveLength(2);
    expect(im.sdkCalls).toEqual([]);
    conn.stop();
  });

  it('gives the request its own error, with no loop, when the service answers the same token again', async () => {
    page.answers.push({ body: tokenAnswer(page.now(), 'one', 100, SERVER) });
    const conn = createConnection({ ...options, identityManager: im }, page);
    await conn.ready;
    page.answers.push({ body: tokenAnswer(page.now(), 'one', 100, SERVER) });
    const error = invalidToken();
    await expect(im.getCredential(LAYER, { token: 'one', error })).rejects.toBe(error);
    // within the service's 30-second window: no second report
    await page.advance(29_000);
    await expect(im.getCredential(LAYER, { token: 'one', error })).rejects.toBe(error);
    expect(page.calls).toHaveLength(2);
    // after it, one more report
    page.answers.push({ body: tokenAnswer(page.now(), 'two', 100, SERVER) });
    await page.advance(1_000);
    expect(await im.getCredential(LAYER, { token: 'one', error })).toEqual({ server: SERVER, token: 'two' });
    expect(page.calls).toHaveLength(3);
    expect(im.sdkCalls).toEqual([]);
    conn.stop();
  });

  it("leaves other tokens, other errors (403, 499) and requests without a token to the SDK's own getCredential", async () => {
    page.answers.push({ body: tokenAnswer(page.now(), 'one', 100, SERVER) });
    const conn = createConnection({ ...options, identityManager: im }, page);
    await conn.ready;
    await im.getCredential(LAYER, { token: 'someone else', error: invalidToken() });
    await im.getCredential(LAYER, { token: 'one', error: Object.assign(new Error('Forbidden'), { details: { httpStatus: 403 } }) });
    await im.getCredential(LAYER, { error: Object.assign(new Error('Token required'), { details: { httpStatus: 499 } }) });
    await im.getCredential(LAYER);
    expect(im.sdkCalls.map((call) => call.token)).toEqual(['someone else', 'one', undefined, undefined]);
    expect(page.calls).toHaveLength(1);
    conn.stop();
  });

  it("stop() puts the SDK's getCredential back: no hook is left", async () => {
    page.answers.push({ body: tokenAnswer(page.now(), 'one', 100, SERVER) });
    const conn = createConnection({ ...options, identityManager: im }, page);
    await conn.ready;
    expect(Object.hasOwn(im, 'getCredential')).toBe(true);
    conn.stop();
    expect(Object.hasOwn(im, 'getCredential')).toBe(false);
    expect(im.getCredential).toBe(FakeIdentityManager.prototype.getCredential);
    expect(page.timers).toEqual([]);
  });
});
