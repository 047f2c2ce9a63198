import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger';
import { type AccessService, requireRole } from '../services/access-service';
import type { MapTokenService } from '../services/map-token-service';
import type { Principal, RequestContext } from '../domain';
import { requestContext } from './atr-headers';
import { authenticateCaller } from './authenticate';
import { apiErrorOf, errorBody, errorHeaders } from './error-handler';
import type { ObserveRequest } from './observability';
import { pathId } from './query';
import { requestIdOf } from './request-context';
import type { SchemaValidator } from './schema-validator';
import { sendJson, sendTokenAnswer } from './token-answer';

/** The route pattern in logs and metrics, as the router names it. */
const ROUTE = '/api/v1/map-tokens/:mapTokenID/token';
/** The spelling clients send. Others (a trailing slash, capitals, percent-escapes) go on to the router. */
const PATH = /^\/api\/v1\/map-tokens\/([^/?%]+)\/token(?:\?|$)/;

/** A middleware that only sets headers, e.g. helmet() or cors(). */
type HeaderMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

export interface HotTokenReadDeps {
  mapTokens: MapTokenService;
  access: AccessService;
  validator: SchemaValidator;
  logger: Logger;
  observe: ObserveRequest;
  /** The helmet() middleware every other answer gets its security headers from. */
  securityHeaders: HeaderMiddleware;
  /** The token routes' cors() middleware, and the origins it allows. */
  cors: HeaderMiddleware;
  allowedOrigins: string[];
}

/**
 * GET /api/v1/map-tokens/{id}/token, the floor-rendering clients' hot path, answered before Express sees
 * the request: Express swaps the prototypes of every req and res it routes, which alone costs more CPU
 * than this whole read (bench/results.md). One step does, in the chain's order, all that the chain does
 * for this GET: the request id, the log line and metrics (the one observer), helmet's and the CORS
 * headers (recorded from the same middleware once at start, set in one writeHead), the atr-* headers, the
 * caller (key hashed and compared by AccessService), the token, errors as the one envelope; the path id is
 * checked first, before CORS, as the router does.
 * Returns false for any other request, which goes on to Express (routes/token-read.ts has the rest).
 */
export function hotTokenRead(deps: HotTokenReadDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { mapTokens, access, validator, logger, observe } = deps;
  const security = recordHeaders(deps.securityHeaders, {});
  const corsByOrigin = new Map(deps.allowedOrigins.map((origin) => [origin, recordHeaders(deps.cors, { origin })]));
  const corsOtherwise = recordHeaders(deps.cors, {});

  async function answer(req: IncomingMessage, res: ServerResponse, rawId: string): Promise<void> {
    const requestId = requestIdOf(req.headers);
    let ctx: RequestContext | undefined;
    let principal: Principal | undefined;
    let errorCode: string | undefined;
    observe(req, res, () => ({ requestId, path: `/api/v1/map-tokens/${rawId}/token`, route: ROUTE, ctx, principal, errorCode }));
    const origin = req.headers.origin;
    let headers = ['x-request-id', requestId, ...security];
    try {
      // the path id first, before CORS, as the router checks it for every method of the route
      const id = pathId(validator, rawId);
      headers = [...headers, ...((origin !== undefined && corsByOrigin.get(origin)) || corsOtherwise)];
      ctx = requestContext(validator, req.headers, requestId);
      principal = await authenticateCaller(access, req.headers, ctx);
      requireRole(principal, 'reader');
      const body = await mapTokens.readToken(principal, ctx.environment, id);
      sendTokenAnswer(res, headers, body);
    } catch (error) {
      const apiError = apiErrorOf(error, requestId, logger);
      errorCode = apiError.code;
      sendJson(res, apiError.status, [...headers, ...errorHeaders(apiError).flat()], JSON.stringify(errorBody(apiError, requestId)));
    }
  }

  return (req, res) => {
    const match = req.method === 'GET' ? PATH.exec(req.url ?? '') : null;
    if (!match?.[1]) return false;
    answer(req, res, match[1]).catch((error: unknown) => {
      logger.error({ err: error instanceof Error ? error.name : typeof error }, 'token read could not answer');
      res.destroy();
    });
    return true;
  };
}

/**
 * The headers a header-only middleware sets, as a flat [name, value, ...] list: it runs once, at start,
 * on a request with `headers` and a response that records them. helmet's and the token routes' CORS
 * headers depend on nothing else (CORS on the origin, hence once per allowed origin).
 */
function recordHeaders(middleware: HeaderMiddleware, headers: Record<string, string>): string[] {
  const recorded = new Map<string, [name: string, value: string]>();
  const res = {
    getHeader: (name: string) => recorded.get(name.toLowerCase())?.[1],
    setHeader: (name: string, value: unknown) => recorded.set(name.toLowerCase(), [name, String(value)]),
    removeHeader: (name: string) => recorded.delete(name.toLowerCase()),
  };
  let done = false;
  middleware({ method: 'GET', headers } as IncomingMessage, res as unknown as ServerResponse, (error) => {
    if (error) throw error;
    done = true;
  });
  if (!done) throw new Error('a header middleware did not finish at once; its headers cannot be recorded');
  return [...recorded.values()].flat();
}
