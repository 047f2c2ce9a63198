import { NextFunction, Request, Response } from 'express';
import { pinoHttp } from 'pino-http';
import { Logger } from '../logger';
import { Metrics } from '../metrics';

/**
 * Records the matched route pattern (never the raw path, which holds ids) for logs and metric labels.
 * Mounted first on each route with .all(), while req.baseUrl still names the router's mount point.
 */
export function tagRoute(req: Request, res: Response, next: NextFunction): void {
  const path = (req.route as { path?: string } | undefined)?.path ?? '';
  res.locals.route = `${req.baseUrl}${path === '/' ? '' : path}` || '/';
  next();
}

export function routeLabel(res: Response): string {
  return (res.locals.route as string | undefined) ?? 'unmatched';
}

export function httpMetrics(metrics: Metrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = routeLabel(res);
      metrics.httpRequests.inc({ route, method: req.method, status: String(res.statusCode) });
      metrics.httpDuration.observe({ route, method: req.method }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}

/** One JSON line per request: method, route, status, duration, environment, actor, request id. */
export function requestLogger(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: (req) => (req as Request).requestId,
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    customSuccessMessage: (req, res) => `${req.method} ${routeLabel(res as Response)} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${routeLabel(res as Response)} ${res.statusCode}`,
    customAttributeKeys: { responseTime: 'durationMs' },
    quietReqLogger: true,
    // called when the request starts and again when it ends: only fields known by the end
    customProps: (req, res) => {
      const r = req as Request;
      if (!res.writableFinished && !res.headersSent) return {};
      return { requestId: r.requestId, route: routeLabel(res as Response), environment: r.ctx?.environment, actor: r.ctx?.actor ?? undefined, principal: r.principal?.id };
    },
    serializers: {
      req: (req: { method: string; url: string; headers: Record<string, unknown> }) => ({ method: req.method, path: req.url.split('?')[0] }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    wrapSerializers: false,
  });
}
