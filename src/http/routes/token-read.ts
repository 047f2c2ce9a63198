import cors from 'cors';
import { Router } from 'express';
import { MapTokenService } from '../../services/map-token-service';
import { AccessService } from '../../services/access-service';
import { atrHeaders } from '../atr-headers';
import { authenticate } from '../authenticate';
import { methodNotAllowed } from '../error-handler';
import { tagRoute } from '../observability';
import { pathId } from '../query';
import { contextOf } from '../request-context';
import { SchemaValidator } from '../schema-validator';

/**
 * GET /api/v1/map-tokens/{id}/token: the floor-rendering clients' hot path. CORS for the configured
 * origins only (preflight included); never cached by browsers or proxies.
 */
export function tokenReadRouter(mapTokens: MapTokenService, access: AccessService, validator: SchemaValidator, allowedOrigins: string[]): Router {
  const router = Router();
  const corsPolicy = cors({
    origin: allowedOrigins.length ? allowedOrigins : false,
    methods: ['GET'],
    allowedHeaders: ['atr-environment-id', 'atr-subscription-key', 'atr-partner-id', 'atr-request-source', 'authorization', 'x-request-id'],
    exposedHeaders: ['x-request-id'],
    maxAge: 600,
  });
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
    .all(tagRoute)
    .options(corsPolicy, (_req, res) => {
      // an origin outside CORS_ALLOWED_ORIGINS gets no CORS headers, so the browser refuses it
      res.setHeader('Allow', 'GET, OPTIONS');
      res.status(204).end();
    })
    .get(corsPolicy, atrHeaders(validator), authenticate(access, 'reader'), async (req, res) => {
      const { ctx, principal } = contextOf(req);
      const body = await mapTokens.readToken(principal, ctx.environment, pathId(validator, req.params.mapTokenID));
      res.setHeader('Cache-Control', 'no-store');
      res.json(body);
    })
    .all(methodNotAllowed(['GET', 'OPTIONS']));
  return router;
}
