import helmet from 'helmet';
import type { Role } from '../domain';
import { type AccessService, requireRole } from '../services/access-service';
import type { KeyRules } from '../services/key-rules';
import type { RequestContext } from '../domain';
import { requestContext } from './atr-headers';
import { authenticateCaller } from './authenticate';
import { corsStage } from './cors-stage';
import type { Exchange, Stage } from './exchange';
import type { ObserveRequest } from './observability';
import { pathId } from './query';
import { type HeaderMiddleware, recordHeaders } from './recorded-headers';
import { requestIdOf } from './request-context';
import type { SchemaValidator } from './schema-validator';

export interface RequestStageDeps {
  validator: SchemaValidator;
  access: AccessService;
  keyRules: KeyRules;
  observe: ObserveRequest;
  corsAllowedOrigins: readonly string[];
}

/**
 * The request stages, each written once. A route lists the ones it needs, in this order: request id,
 * observer, security headers (every request: `everyRequest`), CORS, path id, atr headers,
 * authentication, key rules, then its own answer. Express runs them as middleware (exchange.ts
 * `expressStages`); the token read's fast path (fast-path.ts) runs the same list itself.
 */
export interface RequestStages {
  /** Request id, observer, security headers: every request of every route, whichever entrance. */
  everyRequest: readonly Stage[];
  /** The token read's CORS headers (preflight included). */
  cors: Stage;
  /** The path's map token id: a positive int32, else 400. */
  pathId: Stage;
  /** The atr-* headers, checked against schemas/atr-headers.json: the request's environment and actor. */
  atrHeaders: Stage;
  /** The caller (subscription key or bearer access token), allowed `role` routes. */
  authentication(role: Role): Stage;
  /** The caller's origin binding (403), then its read limit (429); notes the key's use. */
  keyRules: Stage;
}

export function createRequestStages({ validator, access, keyRules, observe, corsAllowedOrigins }: RequestStageDeps): RequestStages {
  // helmet's headers depend on nothing of the request: recorded once, added to each answer as they are
  const security = recordHeaders(helmet() as HeaderMiddleware, 'GET', {});
  const everyRequest: Stage[] = [
    {
      name: 'request id',
      run(exchange) {
        exchange.requestId = requestIdOf(exchange.req.headers);
        exchange.addHeaders(['x-request-id', exchange.requestId]);
      },
    },
    { name: 'observer', run: observe },
    { name: 'security headers', run: (exchange) => exchange.addHeaders(security) },
  ];
  const byRole = new Map<Role, Stage>(
    (['admin', 'reader'] as const).map((role) => [
      role,
      {
        name: `authentication (${role})`,
        async run(exchange) {
          exchange.principal = await authenticateCaller(access, exchange.req.headers, contextOf(exchange));
          requireRole(exchange.principal, role);
        },
      },
    ]),
  );
  return {
    everyRequest,
    cors: corsStage(corsAllowedOrigins),
    pathId: {
      name: 'path id',
      run(exchange) {
        exchange.mapTokenId = pathId(validator, exchange.params.mapTokenID ?? '');
      },
    },
    atrHeaders: {
      name: 'atr headers',
      run(exchange) {
        exchange.ctx = requestContext(validator, exchange.req.headers, exchange.requestId);
      },
    },
    authentication: (role) => byRole.get(role) as Stage,
    keyRules: {
      name: 'key rules',
      run(exchange) {
        if (!exchange.principal) throw new Error('the key rules stage runs after the authentication stage');
        keyRules.admit(exchange.principal, exchange.req.headers);
      },
    },
  };
}

function contextOf(exchange: Exchange): RequestContext {
  if (!exchange.ctx) throw new Error('the authentication stage runs after the atr headers stage');
  return exchange.ctx;
}
