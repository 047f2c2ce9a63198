import cors from 'cors';
import { Router } from 'express';
import type { MapTokenService } from '../../services/map-token-service';
import type { AccessService } from '../../services/access-service';
import { atrHeaders } from '../atr-headers';
import { authenticate } from '../authenticate';
import { methodNotAllowed } from '../error-handler';
import { jsonBody } from '../json-body';
import { tagRoute } from '../observability';
import { pathId } from '../query';
import { contextOf } from '../request-context';
import type { SchemaValidator } from '../schema-validator';
import { sendTokenAnswer } from '../token-answer';

/** Where app.ts mounts this router; the start of every route template in logs and metrics. */
export const TOKEN_READ_MOUNT = '/api/v1/map-tokens';

/** The token route's body is one short token report: no need for the admin PUT's MAX_BODY_BYTES. */
const REPORT_BODY_BYTES = 16 * 1024;

/**
 * /api/v1/map-tokens/{id}/token: the floor-rendering clients' hot path (GET) and their rejected-token
 * report (POST). CORS for the configured origins only (preflight included); never cached by browsers or proxies.
 */
export function tokenReadRouter(
  mapTokens: MapTokenService,
  access: AccessService,
  validator: SchemaValidator,
  allowedOrigins: string[],
): Router {
  const router = Router();
  const corsPolicy = tokenReadCors(allowedOrigins);
  // every method of the route (the preflight included) checks the path id first, before CORS
  router.param('mapTokenID', (_req, _res, next, raw: string) => {
    try {
      pathId(validator, raw);
      next();
    } catch (error) {
      next(error);
    }
  });
  router
    .route('/:mapTokenID/token')
    .all(tagRoute(TOKEN_READ_MOUNT))
    .options(corsPolicy, (_req, res) => {
      // an origin outside CORS_ALLOWED_ORIGINS gets no CORS headers, so the browser refuses it
      res.setHeader('Allow', 'GET, POST, OPTIONS');
      res.status(204).end();
    })
    // the usual GET is answered in front of Express (../hot-token-read.ts); this one serves HEAD and other spellings of the path
    .get(corsPolicy, atrHeaders(validator), authenticate(access, 'reader'), async (req, res) => {
      const { ctx, principal } = contextOf(req);
      sendTokenAnswer(res, [], await mapTokens.readToken(principal, ctx.environment, pathId(validator, req.params.mapTokenID)));
    })
    .post(
      corsPolicy,
      atrHeaders(validator),
      authenticate(access, 'reader'),
      jsonBody(REPORT_BODY_BYTES, 'the 16 KiB cap of a token report'),
      async (req, res) => {
        const { ctx, principal } = contextOf(req);
        const id = pathId(validator, req.params.mapTokenID);
        const { rejected } = validator.check<{ rejected: string }>('token-rejected.json', req.body, 'body');
        sendTokenAnswer(res, [], await mapTokens.reportRejected(principal, ctx.environment, id, rejected));
      },
    )
    .all(methodNotAllowed(['GET', 'POST', 'OPTIONS']));
  return router;
}

/** The token routes' CORS policy: the configured origins only, preflight included. Shared with ../hot-token-read.ts. */
export function tokenReadCors(allowedOrigins: string[]) {
  return cors({
    origin: allowedOrigins.length ? allowedOrigins : false,
    methods: ['GET', 'POST'],
    allowedHeaders: [
      'atr-environment-id',
      'atr-subscription-key',
      'atr-partner-id',
      'atr-request-source',
      'authorization',
      'x-request-id',
      'content-type',
    ],
    exposedHeaders: ['x-request-id'],
    maxAge: 600,
  });
}
