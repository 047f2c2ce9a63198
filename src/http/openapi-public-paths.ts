import { json, type Json, response } from './openapi-components';
import { publicOperation, TAG } from './openapi-operations';

/** The paths without authentication: health, readiness, metrics, this document, its explorer page and the browser client. */
export function publicPaths(): Json {
  return {
    '/healthz': {
      get: publicOperation(TAG.operations, 'health', 'Liveness: 200 while the process runs', {
        200: response('Alive.', json({ type: 'object', required: ['status'], properties: { status: { const: 'ok' } } }, { status: 'ok' }), [
          'Cache-Control',
        ]),
      }),
    },
    '/readyz': {
      get: publicOperation(TAG.operations, 'ready', 'Readiness: 200 when the store answers', {
        200: response('Ready.', json(readiness('ready'), { status: 'ready', store: 'mysql' }), ['Cache-Control']),
        503: response('The store does not answer.', json(readiness('unavailable'), { status: 'unavailable', store: 'mysql' }), [
          'Cache-Control',
        ]),
      }),
    },
    '/metrics': {
      get: publicOperation(TAG.operations, 'metrics', 'Prometheus metrics (bind or firewall it in production)', {
        200: response('Prometheus text exposition format.', { 'text/plain': { schema: { type: 'string' } } }),
      }),
    },
    '/api/v1/openapi.json': {
      get: publicOperation(TAG.documentation, 'openapi', 'This OpenAPI 3.1 document', {
        200: response('The document.', json({ type: 'object' })),
      }),
    },
    '/docs': {
      get: publicOperation(
        TAG.documentation,
        'docs',
        'An API explorer page for this document (Swagger UI, served by this service): paste a key under Authorize and send requests with Try it out',
        {
          200: response('The page.', { 'text/html': { schema: { type: 'string' } } }),
        },
      ),
    },
    '/client/map-token-client.js': {
      get: publicOperation(
        TAG.browserClient,
        'browserClient',
        'The browser client: one dependency-free ES module that keeps a map token fresh in a page (docs/browser.md)',
        browserClientResponses('The module.', 'text/javascript'),
      ),
    },
    '/client/map-token-client.d.ts': {
      get: publicOperation(
        TAG.browserClient,
        'browserClientTypes',
        "The browser client's TypeScript declarations",
        browserClientResponses('The declarations.', 'text/plain'),
      ),
    },
  };
}

function readiness(status: string): Json {
  return { type: 'object', required: ['status', 'store'], properties: { status: { const: status }, store: { enum: ['mysql', 'memory'] } } };
}

/** A file of the browser client: public, cached for 5 minutes, revalidated by ETag. */
function browserClientResponses(description: string, type: string): Json {
  const file = response(description, { [type]: { schema: { type: 'string' } } });
  file.headers = {
    ...(file.headers as Json),
    'Cache-Control': { description: 'public, max-age=300', schema: { type: 'string', const: 'public, max-age=300' } },
    ETag: { description: 'Send it back as If-None-Match to get a 304 while the file is unchanged.', schema: { type: 'string' } },
    'Access-Control-Allow-Origin': { description: '`*`: pages on every origin import the module.', schema: { type: 'string', const: '*' } },
  };
  return { 200: file, 304: response('Unchanged since the ETag sent as If-None-Match.') };
}
