/**
 * Examples of the OpenAPI document. The map token ones follow the sample of the Atrius "Admin Map
 * Tokens API (v1)" page, except that the client secret is a placeholder and answers never carry it.
 */

const ATRIUS_ITEM = {
  organization_ID: 1,
  authType: 'agol',
  authKey: 'f2f591dcea8345ac8e9af5c9e3757618',
  authTimeout: 60,
  authURL: 'https://www.arcgis.com/sharing/rest/oauth2/token/',
} as const;

const CLIENT_SECRET = '<client secret>';
const ARCGIS_TOKEN = '5ce9c3bf-6141ef83290e41f2b20672a6b616f469e959d9e07--d764ee0878fb05faa9db8c9fe15e1c95d4a4be19d55cd5a74bfe8c3-w..';
const EXPIRES = '2017-08-28T13:50:48.273Z';
const REQUEST_ID = '273e4bb4-3019-42ea-8de9-f2c7853f7fdd';

const ENTERPRISE_ITEM = {
  organization_ID: 1,
  authType: 'enterprise',
  authKey: 'indoors_viewer',
  authTimeout: 60,
  authURL: 'https://gis.example.com/portal/sharing/rest/generateToken',
  authReferer: 'https://maps.example.com',
} as const;

const resource = (mapTokenID: number) => ({
  mapTokenID,
  ...ATRIUS_ITEM,
  authReferer: null,
  server: 'https://www.arcgis.com/sharing/rest',
  token: ARCGIS_TOKEN,
  token_Expire_Date: EXPIRES,
  lastRefreshError: null,
  usage: { lastReadAt: '2017-08-28T13:12:40.387Z', reads: 1520 },
});
const enterpriseResource = (mapTokenID: number) => ({
  mapTokenID,
  ...ENTERPRISE_ITEM,
  server: 'https://gis.example.com/portal/sharing/rest',
  token: ARCGIS_TOKEN,
  token_Expire_Date: EXPIRES,
  lastRefreshError: {
    at: '2017-08-28T13:41:02.118Z',
    kind: 'rejected',
    message: 'Unable to generate token. Invalid username or password.',
  },
  usage: { lastReadAt: null, reads: 0 },
});

export const putRequestExamples = {
  atrius: {
    summary: 'Update map token 1 and create a new one (the Atrius sample)',
    value: [
      { mapTokenID: 1, ...ATRIUS_ITEM, authToken: CLIENT_SECRET },
      { ...ATRIUS_ITEM, authToken: CLIENT_SECRET },
    ],
  },
  keepSecret: {
    summary: 'Change the lifetime of map token 1 and keep its stored secret (authToken omitted)',
    value: [{ mapTokenID: 1, ...ATRIUS_ITEM, authTimeout: 120 }],
  },
  enterprise: {
    summary: 'Create an enterprise item: a named user of an ArcGIS Enterprise portal (generateToken), tokens bound to a referer',
    value: [{ ...ENTERPRISE_ITEM, authToken: '<password>' }],
  },
  enterpriseServer: {
    summary: 'Create an enterprise item on a standalone ArcGIS Server, tokens bound to the service address (client=requestip)',
    value: [
      { ...ENTERPRISE_ITEM, authURL: 'https://gis.example.com/arcgis/tokens/generateToken', authReferer: null, authToken: '<password>' },
    ],
  },
  static: {
    summary: 'Store a static token',
    value: [{ organization_ID: 1, authType: 'static', token: '<a token from elsewhere>', token_Expire_Date: '2030-01-01T00:00:00.000Z' }],
  },
  staticServer: {
    summary: 'Store a static token with the server it is for (so that registerToken() works for it)',
    value: [
      { organization_ID: 1, authType: 'static', token: '<an ArcGIS API key>', server: 'https://gis.example.com/arcgis/rest/services' },
    ],
  },
};

export const putResponseExample = { result: [resource(1), resource(2)], count: 2, limit: null, offset: null };
export const listResponseExample = { result: [resource(1), resource(2), enterpriseResource(3)], count: 3, limit: 100, offset: 0, total: 3 };
export const getResponseExample = { result: [resource(1)], count: 1, limit: null, offset: null };
export const tokenReadExample = {
  mapTokenID: 1,
  token: ARCGIS_TOKEN,
  token_Expire_Date: EXPIRES,
  expires_in: 7140,
  expires: Date.parse(EXPIRES),
  server: 'https://www.arcgis.com/sharing/rest',
  ssl: true,
};
export const tokenRejectedExample = { rejected: ARCGIS_TOKEN };

export const authTokenRequestExample = { grant_type: 'client_credentials', client_id: '<client id>', client_secret: CLIENT_SECRET };
export const authTokenResponseExample = { access_token: '<JWT>', token_type: 'Bearer', expires_in: 3600, scope: 'admin' };
export const clientSecretCreatedExample = {
  id: '6f1c2b9e0d4a7c3e5b8f1a2d',
  description: 'deploy pipeline',
  createdAt: '2024-05-01T12:00:00.000Z',
  secret: '<new client secret>',
};
export const clientSecretListExample = [
  { id: '6f1c2b9e0d4a7c3e5b8f1a2d', description: 'deploy pipeline', client_id: '<client id>', createdAt: '2024-05-01T12:00:00.000Z' },
];
export const clientSecretDeletedExample = { deleted: '6f1c2b9e0d4a7c3e5b8f1a2d' };

/** What each error code of the envelope means, with a message like the ones the service sends. */
export const ERROR_RESPONSES = {
  400: {
    code: 'BadRequest',
    description: 'Invalid request: a header, the path, the query or the body does not match its schema; `details` lists each problem.',
    msg: 'The request body is invalid: /0/authURL is required.',
  },
  401: {
    code: 'Unauthorized',
    description: 'No valid subscription key or access token for this environment.',
    msg: 'Unauthorized to access this resource.',
  },
  403: {
    code: 'Forbidden',
    description:
      'The key or client is valid but its role or organization does not allow this, or it is bound to other origins (`--allowed-origin`) than the Origin (or Referer) of the request.',
    msg: 'This route needs an admin key or client; yours is a reader.',
  },
  404: {
    code: 'NotFound',
    description: "The resource was not found in this environment (or not in the caller's organization).",
    msg: 'Map token 7 was not found.',
  },
  409: {
    code: 'Conflict',
    description:
      'Another request changed a resource of the body while this PUT was being written; nothing was stored. Read it again and retry.',
    msg: 'Map token 7 was changed by another request while this one was being written; nothing was stored. Read it again and retry.',
  },
  429: {
    code: 'TooManyRequests',
    description:
      'The key or client has a read limit (`--rate-limit`, reads a minute on each instance) and has used it up; Retry-After says in how many whole seconds the next call is granted.',
    msg: 'This key may read 60 token(s) a minute on this instance; try again in 1 s (Retry-After).',
  },
  405: {
    code: 'MethodNotAllowed',
    description: 'The path exists but not with this method; the Allow header lists the methods it has.',
    msg: 'POST is not allowed here; allowed: GET, PUT.',
  },
  413: {
    code: 'PayloadTooLarge',
    description: 'The body is larger than the route accepts: MAX_BODY_BYTES for a PUT, 16 KiB for a token report.',
    msg: 'The request body is larger than MAX_BODY_BYTES (1048576 bytes) allows.',
  },
  415: {
    code: 'UnsupportedMediaType',
    description: 'The body is not application/json, or not in UTF-8.',
    msg: 'Content-Type text/plain is not supported; send application/json.',
  },
  500: {
    code: 'InternalError',
    description: 'An unexpected error; the request id identifies it in the logs.',
    msg: 'Something went wrong on our side; the request id identifies it in the logs.',
  },
  502: {
    code: 'BadGateway',
    description:
      'ArcGIS failed, answered with something other than a token, or refused the stored credentials. A token read with no unexpired token inside the retry pause after a failed renewal gets it at once, with Retry-After (whole seconds to the next try).',
    msg: 'ArcGIS rejected the stored credentials: Invalid client_secret',
  },
  503: {
    code: 'ServiceUnavailable',
    description: 'The database is unavailable; retry after the Retry-After delay.',
    msg: 'The database is unavailable; try again shortly.',
  },
  504: {
    code: 'GatewayTimeout',
    description:
      'ArcGIS did not answer within UPSTREAM_TIMEOUT_MS. A token read with no unexpired token inside the retry pause after a renewal that timed out gets it at once, with Retry-After (whole seconds to the next try).',
    msg: 'ArcGIS did not answer within 10000 ms',
  },
} as const;

export type ErrorStatus = keyof typeof ERROR_RESPONSES;

export function errorExample(status: ErrorStatus): Record<string, unknown> {
  const { code, msg } = ERROR_RESPONSES[status];
  const body: Record<string, unknown> = { msg, requestId: REQUEST_ID, code };
  if (status === 400) body.details = [{ path: '/0/authURL', message: 'is required' }];
  return body;
}

export const OAUTH_ERROR_EXAMPLES = {
  400: { error: 'unsupported_grant_type', error_description: 'Only grant_type=client_credentials is supported.' },
  401: {
    error: 'invalid_client',
    error_description: 'Client authentication failed: unknown client, wrong secret, or another environment.',
  },
  429: { error: 'invalid_request', error_description: 'Too many failed logins; wait before trying again (see Retry-After).' },
} as const;
