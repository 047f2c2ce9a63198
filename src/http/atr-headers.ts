import { NextFunction, Request, Response } from 'express';
import { SchemaValidator } from './schema-validator';

interface AtrHeaders {
  'atr-environment-id': string;
  'atr-partner-id'?: string;
  'atr-request-source'?: string;
}

/** Checks the atr-* headers against schemas/atr-headers.json and records the request's context. */
export function atrHeaders(validator: SchemaValidator) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const headers = validator.check<AtrHeaders>('atr-headers.json', req.headers, 'header');
    const source = headers['atr-request-source']?.trim();
    req.ctx = {
      environment: headers['atr-environment-id'],
      requestId: req.requestId,
      actor: source ? source : null,
      partnerId: headers['atr-partner-id'] ? headers['atr-partner-id'] : null,
    };
    next();
  };
}
