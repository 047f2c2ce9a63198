import type { IncomingHttpHeaders } from 'node:http';
import type { RequestContext } from '../domain';
import type { SchemaValidator } from './schema-validator';

interface AtrHeaders {
  'atr-environment-id': string;
  'atr-partner-id'?: string;
  'atr-request-source'?: string;
}

/** The request's context from its atr-* headers, checked against schemas/atr-headers.json (400 otherwise). */
export function requestContext(validator: SchemaValidator, incoming: IncomingHttpHeaders, requestId: string): RequestContext {
  const headers = validator.check<AtrHeaders>('atr-headers.json', incoming, 'header');
  const source = headers['atr-request-source']?.trim();
  return {
    environment: headers['atr-environment-id'],
    requestId,
    actor: source ? source : null,
    partnerId: headers['atr-partner-id'] ? headers['atr-partner-id'] : null,
  };
}
