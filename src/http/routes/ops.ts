import { Router } from 'express';
import type { Registry } from 'prom-client';
import type { Store } from '../../stores/store';
import { methodNotAllowed } from '../error-handler';
import { tagRoute } from '../observability';

const READY_TIMEOUT_MS = 2500;

/** Liveness, readiness and metrics: no authentication (bind or firewall /metrics in production). */
export function opsRouter(store: Store, registry: Registry): Router {
  const router = Router();
  router
    .route('/healthz')
    .all(tagRoute(''))
    .get((_req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      res.json({ status: 'ok' });
    })
    .all(methodNotAllowed(['GET']));
  router
    .route('/readyz')
    .all(tagRoute(''))
    .get(async (_req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), READY_TIMEOUT_MS)));
      try {
        await Promise.race([store.ping(), timeout]);
        res.json({ status: 'ready', store: store.kind });
      } catch {
        res.status(503).json({ status: 'unavailable', store: store.kind });
      } finally {
        clearTimeout(timer);
      }
    })
    .all(methodNotAllowed(['GET']));
  router
    .route('/metrics')
    .all(tagRoute(''))
    .get(async (_req, res) => {
      res.setHeader('Content-Type', registry.contentType);
      res.send(await registry.metrics());
    })
    .all(methodNotAllowed(['GET']));
  return router;
}
