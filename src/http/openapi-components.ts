import { ERROR_RESPONSES, type ErrorStatus, errorExample, OAUTH_ERROR_EXAMPLES } from './openapi-examples';

export type Json = Record<string, unknown>;
type Schemas = Record<string, Json>;

export const schemaRef = (title: string): Json => ({ $ref: `#/components/schemas/${title}` });
export const parameterRef = (name: string): Json => ({ $ref: `#/components/parameters/${name}` });
export const responseRef = (name: string): Json => ({ $ref: `#/components/responses/${name}` });
const headerRef = (name: string): Json => ({ $ref: `#/components/headers/${name}` });

/** Headers that authenticate (documented as security schemes, not as parameters). */
const SECURITY_HEADERS = new Set(['atr-subscription-key']);

/**
 * schemas/*.json under components.schemas, keyed by title: `$schema` and `$id` go, and every
 * reference to a file (`map-token.json`, `map-token.json#/properties/x`, or `#...` inside a file)
 * points at that file's component instead.
 */
export function componentSchemas(files: Record<string, Json>): Schemas {
  const titles = new Map<string, string>();
  for (const [file, schema] of Object.entries(files)) {
    if (typeof schema.title !== 'string') throw new Error(`schemas/${file} has no title`);
    titles.set(file, schema.title);
  }
  const out: Schemas = {};
  for (const [file, schema] of Object.entries(files)) {
    const copy = { ...schema };
    delete copy.$schema;
    delete copy.$id;
    out[titles.get(file)!] = rewriteRefs(copy, file, titles) as Json;
  }
  return out;
}

function rewriteRefs(value: unknown, file: string, titles: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => rewriteRefs(item, file, titles));
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === '$ref' && typeof child === 'string') {
      const [target = '', fragment = ''] = child.split('#');
      const title = titles.get(target === '' ? file : target);
      if (!title) throw new Error(`schemas/${file}: $ref ${child} names no file of schemas/`);
      out.$ref = `#/components/schemas/${title}${fragment}`;
    } else {
      out[key] = rewriteRefs(child, file, titles);
    }
  }
  return out;
}

/** Parameters taken from an object schema's properties: each keeps its schema; the description moves up. */
export function parametersFrom(schema: Json, where: 'header' | 'query'): Json[] {
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const properties = (schema.properties ?? {}) as Record<string, Json>;
  return Object.entries(properties)
    .filter(([name]) => !(where === 'header' && SECURITY_HEADERS.has(name)))
    .map(([name, property]) => {
      const { description, ...propertySchema } = property;
      return {
        name,
        in: where,
        required: required.has(name),
        ...(description ? { description } : {}),
        schema: structuredClone(propertySchema),
      };
    });
}

export function componentParameters(atrHeaders: Json): Record<string, Json> {
  const parameters: Record<string, Json> = {};
  for (const parameter of parametersFrom(atrHeaders, 'header')) parameters[parameter.name as string] = parameter;
  parameters.mapTokenID = {
    name: 'mapTokenID',
    in: 'path',
    required: true,
    description: 'The map token id: a positive int32.',
    schema: schemaRef('MapTokenID'),
  };
  parameters['x-request-id'] = {
    name: 'x-request-id',
    in: 'header',
    required: false,
    // any value is accepted: one that is not 1-128 of the safe characters is replaced, never refused
    description:
      "Optional id for this request. A value of 1-128 of A-Za-z0-9._:@/+=- is reused as the answer's x-request-id and requestId; any other value is replaced by a generated one (never refused).",
    schema: { type: 'string' },
  };
  return parameters;
}

export const componentHeaders: Record<string, Json> = {
  'x-request-id': { description: 'The request id; error bodies repeat it as requestId.', schema: { type: 'string' } },
  'Cache-Control': {
    description: 'no-store: the answer holds a token or secret that no cache may keep.',
    schema: { type: 'string', const: 'no-store' },
  },
  'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer', minimum: 0 } },
  Allow: { description: 'The methods this path has.', schema: { type: 'string' } },
  'WWW-Authenticate': { description: 'Sent when HTTP Basic credentials were refused.', schema: { type: 'string' } },
  RateLimit: {
    description: 'Remaining failed logins allowed and seconds until the window resets (IETF draft 7).',
    schema: { type: 'string' },
  },
  'RateLimit-Policy': { description: 'The failed-login limit and its window in seconds (IETF draft 7).', schema: { type: 'string' } },
};

/** A response that carries x-request-id (as every answer does) plus `headers`. */
export function response(description: string, content?: Json, headers: string[] = []): Json {
  const all: Json = { 'x-request-id': headerRef('x-request-id') };
  for (const name of headers) all[name] = headerRef(name);
  return { description, headers: all, ...(content ? { content } : {}) };
}

export function json(schema: Json, example?: unknown, examples?: Json): Json {
  return { 'application/json': { schema, ...(example !== undefined ? { example } : {}), ...(examples ? { examples } : {}) } };
}

/** The name of the shared response for an error status, e.g. 404 -> "NotFound". */
export const errorResponseName = (status: ErrorStatus): string => ERROR_RESPONSES[status].code;

export function componentResponses(): Record<string, Json> {
  const responses: Record<string, Json> = {};
  for (const key of Object.keys(ERROR_RESPONSES)) {
    const status = Number(key) as ErrorStatus;
    const extra = status === 405 ? ['Allow'] : [429, 502, 503, 504].includes(status) ? ['Retry-After'] : [];
    responses[errorResponseName(status)] = response(
      ERROR_RESPONSES[status].description,
      json(schemaRef('Error'), errorExample(status)),
      extra,
    );
  }
  const oauth = (description: string, status: keyof typeof OAUTH_ERROR_EXAMPLES, headers: string[]) =>
    response(description, json(schemaRef('OAuthError'), OAUTH_ERROR_EXAMPLES[status]), ['Cache-Control', ...headers]);
  responses.OAuthBadRequest = oauth(
    'invalid_request (malformed or unparsable body, a body over 16 KiB, both Basic and body credentials) or unsupported_grant_type.',
    400,
    [],
  );
  responses.OAuthUnauthorized = oauth('invalid_client: unknown client, wrong secret, or a client of another environment.', 401, [
    'WWW-Authenticate',
  ]);
  responses.OAuthTooManyRequests = oauth(
    'Too many failed logins from this address (30 a minute), or from this address for this client id (10 a minute).',
    429,
    ['Retry-After', 'RateLimit', 'RateLimit-Policy'],
  );
  return responses;
}

export const securitySchemes: Record<string, Json> = {
  subscriptionKey: {
    type: 'apiKey',
    in: 'header',
    name: 'atr-subscription-key',
    description: 'A subscription key of this environment (`npm run -s cli -- keys create`).',
  },
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'An access token from POST /api/v1/auth/token, sent with the atr-environment-id of its client.',
  },
  clientBasic: {
    type: 'http',
    scheme: 'basic',
    description: 'The token endpoint only: client_id and client_secret as HTTP Basic credentials (RFC 6749 section 2.3.1).',
  },
};
