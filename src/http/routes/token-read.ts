import { Router } from 'express';
import type { MapTokenService } from '../../services/map-token-service';
import { methodNotAllowed } from '../error-handler';
import { type Exchange, expressStages, type Stage } from '../exchange';
import { jsonBody } from '../json-body';
import { tagRoute } from '../observability';
import type { RequestStages } from '../request-stages';
import type { SchemaValidator } from '../schema-validator';

/** The token read's path: the one definition, which the router mounts and the fast path matches. */
export const TOKEN_READ_ROUTE = '/api/v1/map-tokens/:mapTokenID/token';

/** The token route's body is one short token report: no need for the admin PUT's MAX_BODY_BYTES. */
const REPORT_BODY_BYTES = 16 * 1024;

const NO_STORE = ['Cache-Control', 'no-store'];

/** The token read's stages after the ones of every request, in order. */
export interface TokenReadPipeline {
  /** Every method of the route, the preflight included: CORS, then the path id. */
  route: readonly Stage[];
  /** GET and POST: atr headers, authentication (a reader is enough), key rules. */
  caller: readonly Stage[];
  /**
   * The GET's answer: the fresh token, never stored by browsers or proxies, and never a 304 whatever
   * conditional headers the request carries (the exchange writes it, not Express's res.json with its
   * freshness check).
   */
  read: Stage;
  /** The POST's answer, once its JSON body is parsed: the same, after a forced renewal when the token it reports is current. */
  report: Stage;
}

export function tokenReadPipeline(stages: RequestStages, mapTokens: MapTokenService, validator: SchemaValidator): TokenReadPipeline {
  const callerOf = (exchange: Exchange) => {
    const { ctx, principal, mapTokenId } = exchange;
    if (!ctx || !principal || mapTokenId === undefined) throw new Error('the token route answers after the path id and caller stages');
    return { environment: ctx.environment, principal, mapTokenId };
  };
  return {
    route: [stages.cors, stages.pathId],
    caller: [stages.atrHeaders, stages.authentication('reader'), stages.keyRules],
    read: {
      name: 'token read',
      async run(exchange) {
        const { principal, environment, mapTokenId } = callerOf(exchange);
        const body = await mapTokens.readToken(principal, environment, mapTokenId);
        exchange.sendJson(200, NO_STORE, JSON.stringify(body));
      },
    },
    report: {
      name: 'rejected-token report',
      async run(exchange) {
        const { principal, environment, mapTokenId } = callerOf(exchange);
        const { rejected } = validator.check<{ rejected: string }>(
          'token-rejected.json',
          (exchange.req as { body?: unknown }).body,
          'body',
        );
        const body = await mapTokens.reportRejected(principal, environment, mapTokenId, rejected);
        exchange.sendJson(200, NO_STORE, JSON.stringify(body));
      },
    },
  };
}

/** The whole GET of the token read, in order: what the fast path (../fast-path.ts) runs. */
export function tokenReadGet(stages: RequestStages, pipeline: TokenReadPipeline): readonly Stage[] {
  return [...stages.everyRequest, ...pipeline.route, ...pipeline.caller, pipeline.read];
}

/**
 * /api/v1/map-tokens/{id}/token through Express, after the stages of every request (app.ts): the
 * spellings of the path the fast path leaves alone (a trailing slash, capitals), HEAD, the preflight and
 * the clients' rejected-token report (POST). The same pipeline as the fast path's GET.
 */
export function tokenReadRouter(pipeline: TokenReadPipeline): Router {
  const router = Router();
  router
    .route(TOKEN_READ_ROUTE)
    // the route's path is the whole template: its mount in logs and metrics is the root
    .all(tagRoute(''), expressStages(...pipeline.route))
    .options((_req, res) => {
      // an origin outside CORS_ALLOWED_ORIGINS got no CORS headers, so the browser refuses it
      res.setHeader('Allow', 'GET, POST, OPTIONS');
      res.status(204).end();
    })
    .get(expressStages(...pipeline.caller, pipeline.read))
    .post(
      expressStages(...pipeline.caller),
      jsonBody(REPORT_BODY_BYTES, 'the 16 KiB cap of a token report'),
      expressStages(pipeline.report),
    )
    .all(methodNotAllowed(['GET', 'POST', 'OPTIONS']));
  return router;
}
