import { errorResponseName, type Json, parameterRef, responseRef } from './openapi-components';
import type { ErrorStatus } from './openapi-examples';

/** The document's tags, which group its operations (the order of the `tags` list is openapi.ts's). */
export const TAG = {
  admin: 'Map tokens (admin)',
  tokenRead: 'Token read',
  clientCredentials: 'Client credentials',
  operations: 'Operations',
  documentation: 'Documentation',
  browserClient: 'Browser client',
} as const;

/** A schema file the document is built from, by file name (a missing one stops the start, like a broken one). */
export type SchemaFile = (name: string) => Record<string, unknown>;

const API_SECURITY = [{ subscriptionKey: [] }, { bearerAuth: [] }];

/** Errors an operation documents, as references to the shared responses. */
export function errors(...statuses: ErrorStatus[]): Json {
  return Object.fromEntries(statuses.map((status) => [String(status), responseRef(errorResponseName(status))]));
}

/** An `/api/v1` operation: a key or a bearer token, and the atr-* headers every such call takes. */
export function apiOperation(tag: string, operationId: string, summary: string, description: string, extra: Json): Json {
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

/** An operation without authentication. */
export function publicOperation(tag: string, operationId: string, summary: string, responses: Json): Json {
  return { tags: [tag], operationId, summary, security: [], responses };
}
