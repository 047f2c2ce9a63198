import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../project-root';
import {
  componentHeaders,
  componentParameters,
  componentResponses,
  componentSchemas,
  errorResponseName,
  json,
  type Json,
  parameterRef,
  parametersFrom,
  response,
  responseRef,
  schemaRef,
  securitySchemes,
} from './openapi-components';
import { DESCRIPTION } from './openapi-description';
import * as ex from './openapi-examples';
import type { SchemaValidator } from './schema-validator';

const API_SECURITY = [{ subscriptionKey: [] }, { bearerAuth: [] }];

/** Errors an operation documents, as references to the shared responses. */
function errors(...statuses: ex.ErrorStatus[]): Json {
  return Object.fromEntries(statuses.map((status) => [String(status), responseRef(errorResponseName(status))]));
}

function apiOperation(tag: string, operationId: string, summary: string, description: string, extra: Json): Json {
  const { parameters = [], ...rest } = extra as { parameters?: Json[] };
  return {
    tags: [tag],
    operationId,
    summary,
    description,
    security: API_SECURITY,
    parameters: [...['atr-environment-id', 'atr-partner-id', 'atr-request-source', 'x-request-id'].map(parameterRef), ...parameters],
    ...rest,
  };
}

function publicOperation(tag: string, operationId: string, summary: string, responses: Json): Json {
  return { tags: [tag], operationId, summary, security: [], responses };
}

/** The OpenAPI 3.1 document of every route the app serves, assembled from the same schemas Ajv validates with. */
export function buildOpenApi(validator: SchemaValidator, options: { maxBatch: number }): object {
  const files = validator.schemas;
  /** A schema file the document is built from (a missing one stops the start, like a broken one). */
  const file = (name: string): Record<string, unknown> => {
    const schema = files[name];
    if (!schema) throw new Error(`schemas/${name} is missing`);
    return schema;
  };
  const schemas = componentSchemas(files);
  const { version } = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string };
  const mapTokenID = parameterRef('mapTokenID');
  const envelope = schemaRef('MapTokenEnvelope');
  const adminTag = 'Map tokens (admin)';
  const environmentHeader = parametersFrom(file('atr-headers.json'), 'header').find((parameter) => parameter.name === 'atr-environment-id');

  const paths: Json = {
    '/api/v1/admin/map-tokens': {
      put: apiOperation(
        adminTag,
        'putMapTokens',
        'Create or update map tokens',
        `Saves a list of 1 to ${options.maxBatch} (MAX_BATCH) new or existing map token resources in one transaction: on any error nothing is stored. An item without mapTokenID creates a resource; with one, it replaces that resource's writable fields (an omitted authToken keeps the stored secret or password while authType stays the same and authURL keeps its origin). For every agol or enterprise item whose credentials are new or changed, a token is fetched from authURL before anything is stored (agol: the OAuth2 client_credentials grant; enterprise: generateToken with client=referer and authReferer, or client=requestip without one): credentials that ArcGIS rejects answer 400 naming the item and quoting ArcGIS; an unreachable, failing or slow ArcGIS answers 502 or 504. Needs the admin role.`,
        {
          requestBody: {
            required: true,
            description: 'The items, at most MAX_BATCH.',
            content: json(schemaRef('MapTokenPutRequest'), undefined, ex.putRequestExamples),
          },
          responses: {
            200: response('The written resources, in request order, with their tokens.', json(envelope, ex.putResponseExample), [
              'Cache-Control',
            ]),
            ...errors(400, 401, 403, 404, 409, 413, 415, 429, 500, 502, 503, 504),
          },
        },
      ),
      get: apiOperation(
        adminTag,
        'listMapTokens',
        'List map tokens',
        "The map tokens of this environment (of the caller's organization for an organization-bound key), ordered by mapTokenID, with tokens as cached (no refresh). `failing=true` lists only those whose last renewal failed (lastRefreshError set); `expiring=true` only static ones whose token_Expire_Date falls within STATIC_TOKEN_WARN_DAYS (default 30) or has passed. Needs the admin role.",
        {
          parameters: parametersFrom(file('map-token-list-query.json'), 'query'),
          responses: {
            200: response('A page of map tokens; total counts all that match.', json(envelope, ex.listResponseExample), ['Cache-Control']),
            ...errors(400, 401, 403, 429, 500, 503),
          },
        },
      ),
    },
    '/api/v1/admin/map-tokens/{mapTokenID}': {
      get: apiOperation(
        adminTag,
        'getMapToken',
        'Read one map token',
        'One resource with its current token, answered at once while that token is unexpired; a token past its refresh point is renewed in the background. Waits for ArcGIS only when no unexpired token exists. Needs the admin role.',
        {
          parameters: [mapTokenID],
          responses: {
            200: response('The resource.', json(envelope, ex.getResponseExample), ['Cache-Control']),
            ...errors(400, 401, 403, 404, 429, 500, 502, 503, 504),
          },
        },
      ),
      delete: apiOperation(
        adminTag,
        'deleteMapToken',
        'Delete a map token',
        'Deletes the resource; its secret and cached token are gone from the database at once. Needs the admin role.',
        {
          parameters: [mapTokenID],
          responses: { 204: response('Deleted.'), ...errors(400, 401, 403, 404, 429, 500, 503) },
        },
      ),
    },
    '/api/v1/map-tokens/{mapTokenID}/token': {
      get: apiOperation(
        'Token read',
        'readMapToken',
        'Get a token for a floor-rendering client',
        'The current ArcGIS token of a map token, in the shape IdentityManager.registerToken() of the ArcGIS Maps SDK takes as is. Tokens are renewed in the background before they are needed (at 2 x min(5 minutes, 20% of the lifetime) before expiry), so while ArcGIS answers a token has at least the margin left; a read waits for ArcGIS only when no unexpired token exists. CORS for CORS_ALLOWED_ORIGINS only. Needs the reader or admin role. A key or client bound to origins is accepted only from them (Origin, else Referer; 403 otherwise); one with a read limit gets that many reads (GET and POST together) a minute on each instance, then 429 with Retry-After.',
        {
          parameters: [mapTokenID],
          responses: {
            200: response('The token.', json(schemaRef('TokenRead'), ex.tokenReadExample), ['Cache-Control']),
            ...errors(400, 401, 403, 404, 429, 500, 502, 503, 504),
          },
        },
      ),
      post: apiOperation(
        'Token read',
        'reportRejectedToken',
        'Report a token ArcGIS refused, and get a working one',
        'For a client that ArcGIS answered 498 (Invalid token), e.g. after the token was revoked. When `rejected` is the current token, the service fetches a new one (one ArcGIS call however many clients and instances report it; at most one forced renewal per map token per 30 seconds) and answers it; when the current token is already another one, that one is answered at once. The same answer as the GET. CORS for CORS_ALLOWED_ORIGINS only. Needs the reader or admin role.',
        {
          parameters: [mapTokenID],
          requestBody: {
            required: true,
            description: 'The refused token.',
            content: json(schemaRef('TokenRejected'), ex.tokenRejectedExample),
          },
          responses: {
            200: response('A token other than the rejected one, or the current token.', json(schemaRef('TokenRead'), ex.tokenReadExample), [
              'Cache-Control',
            ]),
            ...errors(400, 401, 403, 404, 413, 415, 429, 500, 502, 503, 504),
          },
        },
      ),
      options: {
        tags: ['Token read'],
        operationId: 'preflightMapToken',
        summary: 'CORS preflight',
        description:
          "Answers browsers' preflight requests; CORS headers are sent only for origins in CORS_ALLOWED_ORIGINS. A path id that is not a positive int32 answers 400, as the read would.",
        security: [],
        parameters: [mapTokenID],
        responses: { 204: response('Preflight answered.', undefined, ['Allow']), ...errors(400) },
      },
    },
    '/api/v1/auth/token': {
      post: {
        tags: ['Client credentials'],
        operationId: 'issueAccessToken',
        summary: 'Get an access token (OAuth 2.0 client credentials)',
        description:
          "RFC 6749 section 4.4. Send client_id and client_secret in the body or as HTTP Basic credentials (not both). The access token works with the client's atr-environment-id until it expires or its secret is deleted. Failed logins are rate limited per address and per (address, client id), never per client id alone.",
        security: [{}, { clientBasic: [] }],
        parameters: [
          { ...environmentHeader, required: false, description: "Optional: when sent, it must be the client's environment." },
          parameterRef('x-request-id'),
        ],
        requestBody: {
          required: true,
          content: {
            'application/x-www-form-urlencoded': { schema: schemaRef('AuthTokenRequest'), example: ex.authTokenRequestExample },
            'application/json': { schema: schemaRef('AuthTokenRequest'), example: ex.authTokenRequestExample },
          },
        },
        responses: {
          200: response('An access token.', json(schemaRef('AuthTokenResponse'), ex.authTokenResponseExample), ['Cache-Control']),
          400: responseRef('OAuthBadRequest'),
          401: responseRef('OAuthUnauthorized'),
          429: responseRef('OAuthTooManyRequests'),
          ...errors(500, 503),
        },
      },
    },
    '/api/v1/auth/clientcredentials': {
      get: apiOperation(
        'Client credentials',
        'listClientSecrets',
        "List the calling client's secrets",
        'Never returns a secret. Needs the bearer token of the client.',
        {
          security: [{ bearerAuth: [] }],
          responses: {
            200: response("The secrets' metadata.", json(schemaRef('ClientSecretList'), ex.clientSecretListExample)),
            ...errors(400, 401, 403, 429, 500, 503),
          },
        },
      ),
      post: apiOperation(
        'Client credentials',
        'createClientSecret',
        'Create a secret for the calling client',
        'The secret is shown once and stored only as a hash. Rotation: log in with the current secret, create a new one, delete the old one. A client holds at most 10 secrets at once; an 11th answers 409. Needs the bearer token of the client.',
        {
          security: [{ bearerAuth: [] }],
          parameters: parametersFrom(file('client-secret-create-query.json'), 'query'),
          responses: {
            200: response('The new secret.', json(schemaRef('ClientSecretCreated'), ex.clientSecretCreatedExample), ['Cache-Control']),
            ...errors(400, 401, 403, 409, 429, 500, 503),
          },
        },
      ),
      delete: apiOperation(
        'Client credentials',
        'deleteClientSecret',
        "Delete one of the calling client's secrets",
        'Access tokens issued for it stop working within CACHE_TTL_SECONDS. Needs the bearer token of the client.',
        {
          security: [{ bearerAuth: [] }],
          parameters: parametersFrom(file('client-secret-delete-query.json'), 'query'),
          responses: {
            200: response('Deleted.', json(schemaRef('ClientSecretDeleted'), ex.clientSecretDeletedExample)),
            ...errors(400, 401, 403, 404, 429, 500, 503),
          },
        },
      ),
    },
    '/healthz': {
      get: publicOperation('Operations', 'health', 'Liveness: 200 while the process runs', {
        200: response('Alive.', json({ type: 'object', required: ['status'], properties: { status: { const: 'ok' } } }, { status: 'ok' }), [
          'Cache-Control',
        ]),
      }),
    },
    '/readyz': {
      get: publicOperation('Operations', 'ready', 'Readiness: 200 when the store answers', {
        200: response('Ready.', json(readiness('ready'), { status: 'ready', store: 'mysql' }), ['Cache-Control']),
        503: response('The store does not answer.', json(readiness('unavailable'), { status: 'unavailable', store: 'mysql' }), [
          'Cache-Control',
        ]),
      }),
    },
    '/metrics': {
      get: publicOperation('Operations', 'metrics', 'Prometheus metrics (bind or firewall it in production)', {
        200: response('Prometheus text exposition format.', { 'text/plain': { schema: { type: 'string' } } }),
      }),
    },
    '/api/v1/openapi.json': {
      get: publicOperation('Documentation', 'openapi', 'This OpenAPI 3.1 document', {
        200: response('The document.', json({ type: 'object' })),
      }),
    },
    '/docs': {
      get: publicOperation(
        'Documentation',
        'docs',
        'An API explorer page for this document (Swagger UI, served by this service): paste a key under Authorize and send requests with Try it out',
        {
          200: response('The page.', { 'text/html': { schema: { type: 'string' } } }),
        },
      ),
    },
    '/client/map-token-client.js': {
      get: publicOperation(
        'Browser client',
        'browserClient',
        'The browser client: one dependency-free ES module that keeps a map token fresh in a page (docs/browser.md)',
        browserClientResponses('The module.', 'text/javascript'),
      ),
    },
    '/client/map-token-client.d.ts': {
      get: publicOperation(
        'Browser client',
        'browserClientTypes',
        "The browser client's TypeScript declarations",
        browserClientResponses('The declarations.', 'text/plain'),
      ),
    },
  };

  return {
    openapi: '3.1.0',
    info: { title: 'map-token-proxy', version, description: DESCRIPTION },
    tags: [
      { name: adminTag, description: 'Atrius-compatible admin API.' },
      { name: 'Token read', description: 'For floor-rendering clients.' },
      { name: 'Client credentials', description: 'Access tokens for admin scripts, and rotation of their secrets.' },
      { name: 'Operations', description: 'Health, readiness and metrics; no authentication.' },
      { name: 'Documentation', description: 'This document and its explorer page.' },
      { name: 'Browser client', description: 'The ES module floor-map pages import to keep their token fresh (docs/browser.md).' },
    ],
    paths,
    components: {
      schemas,
      parameters: componentParameters(file('atr-headers.json')),
      headers: componentHeaders,
      responses: componentResponses(),
      securitySchemes,
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
