import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ArcGISIdentityManager, request } from '@esri/arcgis-rest-request';
import { restCredential, type TokenAnswer } from '../../client/src/map-token-client';

/**
 * The arcgis-rest-js recipe of docs/browser.md, with the real @esri/arcgis-rest-request against a local portal
 * and a local ArcGIS Server that record the token each request carries.
 */
describe('restCredential with arcgis-rest-js', () => {
  let server: http.Server;
  let origin: string;
  const sent: { path: string; token: string | null }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://local');
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        sent.push({ path: url.pathname, token: url.searchParams.get('token') ?? form.get('token') });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    sent.length = 0;
  });

  const answer = (token: string, server: string | null): TokenAnswer => ({
    mapTokenID: 7,
    token,
    token_Expire_Date: null,
    expires_in: 3600,
    expires: Date.now() + 3_600_000,
    server,
    ssl: false,
  });

  it.each([
    ['a portal', '/portal/sharing/rest', '/portal/sharing/rest/portals/self', false],
    ['a standalone ArcGIS Server', '/arcgis/rest/services', '/arcgis/rest/services/Floors/MapServer', true],
  ])(
    'gives a manager for %s that sends the token, and a new manager per answer sends the renewed one',
    async (_what, root, path, hasServer) => {
      const [credential, info] = restCredential(answer('first', `${origin}${root}`));
      expect(info).toEqual({ server: `${origin}${root}`, hasServer, hasPortal: !hasServer });
      let manager = ArcGISIdentityManager.fromCredential(credential, info);
      await request(`${origin}${path}`, { authentication: manager, httpMethod: 'GET' });
      manager = ArcGISIdentityManager.fromCredential(...restCredential(answer('renewed', `${origin}${root}`)));
      await request(`${origin}${path}`, { authentication: manager, httpMethod: 'GET' });
      expect(sent).toEqual([
        { path, token: 'first' },
        { path, token: 'renewed' },
      ]);
    },
  );

  it("shows why a new manager: a server-form manager's updateToken() does not change the token it sends", async () => {
    const manager = ArcGISIdentityManager.fromCredential(...restCredential(answer('first', `${origin}/arcgis/rest/services`)));
    manager.updateToken('renewed', new Date(Date.now() + 3_600_000));
    await request(`${origin}/arcgis/rest/services/Floors/MapServer`, { authentication: manager, httpMethod: 'GET' });
    expect(sent).toEqual([{ path: '/arcgis/rest/services/Floors/MapServer', token: 'first' }]);
  });

  it('gives a static token without expiry a manager that does not expire it after 2 hours, and refuses one without server', () => {
    const [credential] = restCredential({ ...answer('static', `${origin}/arcgis/rest/services`), expires: null, expires_in: null });
    expect(credential.expires).toBe(8.64e15);
    expect(() => restCredential(answer('static', null))).toThrow(TypeError);
  });
});
