import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { type Exchange, exchangeOf } from './exchange';

/**
 * Records the matched route's template for logs and metric labels: the router's mount point as declared
 * (`mount`) and the route's declared path. Never req.baseUrl or the raw path: Express matches paths
 * case-insensitively and with a trailing slash, so those hold the caller's spelling, and every spelling
 * would be a new metric series that is never freed.
 */
export function tagRoute(mount: string) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const path = (req.route as { path?: string } | undefined)?.path ?? '';
    exchangeOf(req).route = `${mount}${path === '/' ? '' : path}` || '/';
    next();
  };
}

/**
 * The methods a metric label names; any other method Node's parser takes (it takes some thirty: PROPFIND,
 * MKCOL, PURGE, ...) is labelled `OTHER`, so methods cannot multiply the series of every route. The log
 * line keeps the method as sent.
 */
const LABELLED_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

function methodLabel(method: string): string {
  return LABELLED_METHODS.has(method) ? method : 'OTHER';
}

/** Records one request's metrics and its log line when it is answered, or when its client goes away first. */
export type ObserveRequest = (exchange: Exchange) => void;

/**
 * One listener per request does both jobs: the request's metrics and its one JSON log line (method,
 * route, status, duration, environment, actor, request id). This replaces pino-http, which builds a
 * child logger and two listeners for every request: on the token read that was a measured share of the
 * CPU time (see bench/results.md) for the same line. It is one of the request stages
 * (request-stages.ts), so both entrances of the token read share it.
 */
export function requestObserver(logger: Logger, metrics: Metrics): ObserveRequest {
  // label children, looked up once per route, method and status instead of hashed on every request
  const counters = new Map<string, { inc(): void }>();
  const timers = new Map<string, { observe(value: number): void }>();
  const counter = (route: string, method: string, status: string) => {
    const id = `${route} ${method} ${status}`;
    let child = counters.get(id);
    if (!child) {
      child = metrics.httpRequests.labels(route, method, status);
      counters.set(id, child);
    }
    return child;
  };
  const timer = (route: string, method: string) => {
    const id = `${route} ${method}`;
    let child = timers.get(id);
    if (!child) {
      child = metrics.httpDuration.labels(route, method);
      timers.set(id, child);
    }
    return child;
  };
  return (exchange) => {
    const { req, res } = exchange;
    const started = process.hrtime.bigint();
    const method = req.method ?? '';
    const done = (aborted: boolean) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const { requestId, url, route, ctx, principal, errorCode } = exchange;
      const status = aborted && !res.headersSent ? 499 : res.statusCode;
      // the label children are keyed by the method's label, so every OTHER method shares one entry
      const label = methodLabel(method);
      counter(route, label, String(status)).inc();
      timer(route, label).observe(seconds);
      if (!logger.isLevelEnabled(status >= 500 ? 'error' : 'info')) return;
      const line = {
        requestId,
        method,
        // the full path as requested, without the query
        path: url.split('?')[0],
        route,
        status,
        durationMs: Math.round(seconds * 1e6) / 1e3,
        environment: ctx?.environment,
        actor: ctx?.actor ?? undefined,
        partnerId: ctx?.partnerId ?? undefined,
        principal: principal?.id,
        errorCode,
      };
      const message = `${method} ${route} ${status}${aborted ? ' (client went away)' : ''}`;
      if (status >= 500) logger.error(line, message);
      else logger.info(line, message);
    };
    res.once('finish', () => done(false));
    res.once('close', () => res.writableFinished || done(true));
  };
}
