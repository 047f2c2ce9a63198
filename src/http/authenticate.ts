import type { IncomingHttpHeaders } from 'node:http';
import type { Principal, RequestContext } from '../domain';
import type { AccessService } from '../services/access-service';

/** The caller, from atr-subscription-key or Authorization: Bearer; names the actor in `ctx` when atr-request-source did not. */
export async function authenticateCaller(access: AccessService, headers: IncomingHttpHeaders, ctx: RequestContext): Promise<Principal> {
  const key = headers['atr-subscription-key'];
  const principal = await access.authenticate(ctx.environment, {
    subscriptionKey: typeof key === 'string' ? key : undefined,
    authorization: headers.authorization,
  });
  // the audit trail always names someone: atr-request-source, else the client id, else the key's id
  if (ctx.actor === null) ctx.actor = principal.kind === 'client' ? principal.id : `key:${principal.id}`;
  return principal;
}
