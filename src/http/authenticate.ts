import type { NextFunction, Request, Response } from 'express';
import { type AccessService, requireRole } from '../services/access-service';
import type { Role } from '../domain';

/** Resolves the caller from atr-subscription-key or Authorization: Bearer, then checks the role. */
export function authenticate(access: AccessService, role: Role) {
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    const environment = req.ctx!.environment;
    const key = req.headers['atr-subscription-key'];
    const principal = await access.authenticate(environment, {
      subscriptionKey: typeof key === 'string' ? key : undefined,
      authorization: req.headers.authorization,
    });
    req.principal = principal;
    // the audit trail always names someone: atr-request-source, else the client id, else the key's id
    if (req.ctx!.actor === null) req.ctx!.actor = principal.kind === 'client' ? principal.id : `key:${principal.id}`;
    requireRole(principal, role);
    next();
  };
}
