import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Principal, RequestContext } from '../domain';

declare global {
  namespace Express {
    interface Request {
      requestId: string;
      ctx?: RequestContext;
      principal?: Principal;
    }
  }
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** A request's id: the caller's x-request-id when it is safe, else a new one. */
export function requestIdOf(headers: IncomingHttpHeaders): string {
  const incoming = headers['x-request-id'];
  return typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/** Every request gets an id (a caller's safe x-request-id is reused), echoed in x-request-id. */
export function requestId(req: Request, res: Response, next: NextFunction): void {
  req.requestId = requestIdOf(req.headers);
  res.setHeader('x-request-id', req.requestId);
  next();
}

/** The environment and caller of a request that passed atr-headers and authenticate. */
export function contextOf(req: Request): { ctx: RequestContext; principal: Principal } {
  if (!req.ctx || !req.principal) throw new Error('route mounted without atr-headers and authenticate');
  return { ctx: req.ctx, principal: req.principal };
}
