import cors from 'cors';
import type { Stage } from './exchange';
import { type HeaderMiddleware, recordHeaders } from './recorded-headers';

/**
 * The token read's CORS: the configured origins only (never `*`, nothing at all without
 * CORS_ALLOWED_ORIGINS), preflight included. The cors package's headers are recorded once per allowed
 * origin (and once for any other origin), for a preflight and for an actual request, so that a request
 * costs one map lookup. The preflight itself is answered by the route, after the path id is checked.
 */
export function corsStage(allowedOrigins: readonly string[]): Stage {
  const middleware = cors({
    origin: allowedOrigins.length ? [...allowedOrigins] : false,
    methods: ['GET', 'POST'],
    allowedHeaders: [
      'atr-environment-id',
      'atr-subscription-key',
      'atr-partner-id',
      'atr-request-source',
      'authorization',
      'x-request-id',
      'content-type',
    ],
    // the browser client honours Retry-After, which a page on another origin reads only when exposed
    exposedHeaders: ['x-request-id', 'retry-after'],
    maxAge: 600,
  }) as HeaderMiddleware;
  const byOrigin = (method: string) => {
    const headers = new Map(allowedOrigins.map((origin) => [origin, recordHeaders(middleware, method, { origin })]));
    return { headers, otherwise: recordHeaders(middleware, method, {}) };
  };
  const actual = byOrigin('GET');
  const preflight = byOrigin('OPTIONS');
  return {
    name: 'CORS',
    run(exchange) {
      const { headers, otherwise } = exchange.req.method === 'OPTIONS' ? preflight : actual;
      const origin = exchange.req.headers.origin;
      exchange.addHeaders((origin !== undefined && headers.get(origin)) || otherwise);
    },
  };
}
