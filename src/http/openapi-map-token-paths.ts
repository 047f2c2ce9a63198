import { json, type Json, parameterRef, parametersFrom, response, schemaRef } from './openapi-components';
import * as ex from './openapi-examples';
import { apiOperation, errors, type SchemaFile, TAG } from './openapi-operations';

/** The paths of the map token resource: the admin API (Atrius-compatible) and the token read of floor-rendering clients. */
export function mapTokenPaths(file: SchemaFile, options: { maxBatch: number }): Json {
  const mapTokenID = parameterRef('mapTokenID');
  const envelope = schemaRef('MapTokenEnvelope');
  return {
    '/api/v1/admin/map-tokens': {
      put: apiOperation(
        TAG.admin,
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
        TAG.admin,
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
        TAG.admin,
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
        TAG.admin,
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
        TAG.tokenRead,
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
        TAG.tokenRead,
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
        tags: [TAG.tokenRead],
        operationId: 'preflightMapToken',
        summary: 'CORS preflight',
        description:
          "Answers browsers' preflight requests; CORS headers are sent only for origins in CORS_ALLOWED_ORIGINS. A path id that is not a positive int32 answers 400, as the read would.",
        security: [],
        parameters: [mapTokenID],
        responses: { 204: response('Preflight answered.', undefined, ['Allow']), ...errors(400) },
      },
    },
  };
}
