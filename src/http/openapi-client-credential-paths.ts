import { json, type Json, parameterRef, parametersFrom, response, responseRef, schemaRef } from './openapi-components';
import * as ex from './openapi-examples';
import { apiOperation, errors, type SchemaFile, TAG } from './openapi-operations';

/** The paths of admin scripts' client credentials: the OAuth 2.0 token endpoint and the rotation of secrets. */
export function clientCredentialPaths(file: SchemaFile): Json {
  const environmentHeader = parametersFrom(file('atr-headers.json'), 'header').find((parameter) => parameter.name === 'atr-environment-id');
  return {
    '/api/v1/auth/token': {
      post: {
        tags: [TAG.clientCredentials],
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
        TAG.clientCredentials,
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
        TAG.clientCredentials,
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
        TAG.clientCredentials,
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
  };
}
