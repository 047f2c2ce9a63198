import { NextFunction, Request, Response } from 'express';
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

/**
 * One listener per request does both jobs: the request's metrics and its one JSON log line (method,
 * route, status, duration, environment, actor, request id). This replaces pino-http, which builds a
 * child logger and two listeners for every request: on the token read that was a measured share of the
 * CPU time (see bench/results.md) for the same line.
 */
export function observeRequests(logger: Logger, metrics: Metrics) {
  // label children, looked up once per route, method and status instead of hashed on every request
  const counters = new Map<string, { inc(): void }>();
  const timers = new Map<string, { observe(value: number): void }>();
  const counter = (route: string, method: string, status: string) => {
    const id = `${route} ${method} ${status}`;
    let child = counters.get(id);
    if (!child) counters.set(id, (child = metrics.httpRequests.labels(route, method, status)));
    return child;
  };
  const timer = (route: string, method: string) => {
    const id = `${route} ${method}`;
    let child = timers.get(id);
    if (!child) timers.set(id, (child = metrics.httpDuration.labels(route, method)));
    return child;
  };
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    const done = (aborted: boolean) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeLabel(res);
      const status = aborted && !res.headersSent ? 499 : res.statusCode;
      counter(route, req.method, String(status)).inc();
      timer(route, req.method).observe(seconds);
      if (!logger.isLevelEnabled(status >= 500 ? 'error' : 'info')) return;
      const line = {
        requestId: req.requestId,
        method: req.method,
        // the full path as requested, without the query: routers make req.path relative to their mount point
        path: req.originalUrl.split('?')[0],
        route,
        status,
        durationMs: Math.round(seconds * 1e6) / 1e3,
        environment: req.ctx?.environment,
        actor: req.ctx?.actor ?? undefined,
        partnerId: req.ctx?.partnerId ?? undefined,
        principal: req.principal?.id,
        errorCode: res.locals.errorCode as string | undefined,
      };
      const message = `${req.method} ${route} ${status}${aborted ? ' (client went away)' : ''}`;
      if (status >= 500) logger.error(line, message);
      else logger.info(line, message);
    };
    res.once('finish', () => done(false));
    res.once('close', () => res.writableFinished || done(true));
    next();
  };
}
