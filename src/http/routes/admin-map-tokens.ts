import { type RequestHandler, Router } from 'express';
import type { MapTokenService } from '../../services/map-token-service';
import type { MapTokenWriteItem } from '../../services/map-token-types';
import { methodNotAllowed } from '../error-handler';
import { tagRoute } from '../observability';
import { jsonBody } from '../json-body';
import { checkedQuery, pathId } from '../query';
import { contextOf, expressStages } from '../exchange';
import type { RequestStages } from '../request-stages';
import type { SchemaValidator } from '../schema-validator';

/** Where app.ts mounts this router; the start of every route template in logs and metrics. */
export const ADMIN_MAP_TOKENS_MOUNT = '/api/v1/admin/map-tokens';

/** Admin answers carry live ArcGIS tokens: no browser or proxy may keep them. */
const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};

interface ListQuery {
  limit?: number;
  offset?: number;
  organization_ID?: number;
  failing?: 'true' | 'false';
  expiring?: 'true' | 'false';
}

/** /api/v1/admin/map-tokens: the Atrius-compatible admin API. Handlers only translate HTTP. */
export function adminMapTokensRouter(
  stages: RequestStages,
  mapTokens: MapTokenService,
  validator: SchemaValidator,
  maxBodyBytes: number,
): Router {
  const router = Router();
  // per method, so that a method the route lacks answers 405 before any authentication
  const admin: RequestHandler[] = [expressStages(stages.atrHeaders, stages.authentication('admin'), stages.keyRules), noStore];

  router
    .route('/')
    .all(tagRoute(ADMIN_MAP_TOKENS_MOUNT))
    .put(...admin, jsonBody(maxBodyBytes, `MAX_BODY_BYTES (${maxBodyBytes} bytes)`), async (req, res) => {
      const { ctx, principal } = contextOf(req);
      const items = validator.check<MapTokenWriteItem[]>('map-token-put-request.json', req.body, 'body');
      const result = await mapTokens.put(principal, ctx, items);
      res.json({ result, count: result.length, limit: null, offset: null });
    })
    .get(...admin, async (req, res) => {
      const { ctx, principal } = contextOf(req);
      const query = checkedQuery<ListQuery>(validator, req, 'map-token-list-query.json');
      const { items, total } = await mapTokens.list(principal, ctx.environment, {
        limit: query.limit ?? 100,
        offset: query.offset ?? 0,
        organizationId: query.organization_ID ?? null,
        failing: query.failing === 'true',
        expiring: query.expiring === 'true',
      });
      res.json({ result: items, count: items.length, limit: query.limit ?? null, offset: query.offset ?? null, total });
    })
    .all(methodNotAllowed(['GET', 'PUT']));

  router
    .route('/:mapTokenID')
    .all(tagRoute(ADMIN_MAP_TOKENS_MOUNT))
    .get(...admin, async (req, res) => {
      const { ctx, principal } = contextOf(req);
      const resource = await mapTokens.get(principal, ctx.environment, pathId(validator, req.params.mapTokenID));
      res.json({ result: [resource], count: 1, limit: null, offset: null });
    })
    .delete(...admin, async (req, res) => {
      const { ctx, principal } = contextOf(req);
      await mapTokens.delete(principal, ctx, pathId(validator, req.params.mapTokenID));
      res.status(204).end();
    })
    .all(methodNotAllowed(['GET', 'DELETE']));

  return router;
}
