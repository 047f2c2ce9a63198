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

/** GET of /api/v1/admin/map-tokens followed by `path` ('' for the list, `/7`, `?failing=true`). */
export function getMapTokens(app: Harness['app'], environment: string, key: string, path = '') {
  return request(app).get(`/api/v1/admin/map-tokens${path}`).set('atr-environment-id', environment).set('atr-subscription-key', key);
}

export function readMapToken(app: Harness['app'], environment: string, key: string, id: number) {
  return request(app).get(`/api/v1/map-tokens/${id}/token`).set('atr-environment-id', environment).set('atr-subscription-key', key);
}
