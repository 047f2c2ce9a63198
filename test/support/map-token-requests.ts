import request from 'supertest';
import type { Harness } from './harness';

/**
 * The calls most tests make, as a key of `environment` makes them: the admin PUT and GET of map tokens
 * and the token read. Each returns supertest's request, so a test can add headers before it is sent.
 */
export function putMapTokens(app: Harness['app'], environment: string, key: string, items: unknown) {
  return request(app)
    .put('/api/v1/admin/map-tokens')
    .set('atr-environment-id', environment)
    .set('atr-subscription-key', key)
    .send(items as object);
}

/** Stores one static token of organization 1 (with `token_Expire_Date` when given) and returns its mapTokenID. */
export async function putStaticToken(
  app: Harness['app'],
  environment: string,
  key: string,
  token: string,
  token_Expire_Date?: string,
): Promise<number> {
  const res = await putMapTokens(app, environment, key, [
    { organization_ID: 1, authType: 'static', token, ...(token_Expire_Date ? { token_Expire_Date } : {}) },
  ]);
  expect(res.status).toBe(200);
  return res.body.result[0].mapTokenID;
}

/** `count` agol items of organization 1, one per app (`app-0`, `app-1`, ...), each with `secret`, 120 minutes and `authURL`. */
export function agolApps(count: number, secret: string, authURL: string) {
  return Array.from({ length: count }, (_, i) => ({
    organization_ID: 1,
    authType: 'agol',
    authKey: `app-${i}`,
    authToken: secret,
    authTimeout: 120,
    authURL,
  }));
}

/** GET of /api/v1/admin/map-tokens followed by `path` ('' for the list, `/7`, `?failing=true`). */
export function getMapTokens(app: Harness['app'], environment: string, key: string, path = '') {
  return request(app).get(`/api/v1/admin/map-tokens${path}`).set('atr-environment-id', environment).set('atr-subscription-key', key);
}

export function readMapToken(app: Harness['app'], environment: string, key: string, id: number) {
  return request(app).get(`/api/v1/map-tokens/${id}/token`).set('atr-environment-id', environment).set('atr-subscription-key', key);
}

/**
 * The whole answer of the token read for a token with no server (a static one as stored): `expires` is
 * `token_Expire_Date` in epoch milliseconds, and a token without a date has null for both and for expires_in.
 */
export function serverlessTokenRead(mapTokenID: number, token: string, dated?: { token_Expire_Date: string; expires_in: number }) {
  return {
    mapTokenID,
    token,
    token_Expire_Date: dated?.token_Expire_Date ?? null,
    expires_in: dated?.expires_in ?? null,
    expires: dated ? Date.parse(dated.token_Expire_Date) : null,
    server: null,
    ssl: false,
  };
}
