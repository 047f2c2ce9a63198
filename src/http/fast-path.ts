import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger';
import { answerError } from './error-handler';
import { DirectExchange, runStages, type Stage } from './exchange';

/** A request listener that answers the requests it takes and returns false for the others. */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * A fast path, used for the floor-rendering clients' token read: GET of `route` in the spelling clients send, answered in front
 * of Express, which swaps the prototypes of every req and res it routes and alone costs more CPU than
 * this whole read (bench/results.md). It runs `stages`, the route's whole pipeline as the router runs it
 * (routes/token-read.ts `tokenReadGet`), on a plain node:http request, and answers in one writeHead.
 * Any other request (another method, a trailing slash, capitals, percent-escapes) is left to Express.
 */
export function fastPath(route: string, stages: readonly Stage[], logger: Logger): FastPath {
  const match = pathMatcher(route);
  return (req, res) => {
    if (req.method !== 'GET') return false;
    const url = req.url ?? '';
    const params = match(url);
    if (!params) return false;
    const exchange = new DirectExchange(req, res, url);
    exchange.route = route;
    exchange.params = params;
    const fail = (error: unknown) => {
      try {
        if (res.headersSent) throw error;
        answerError(exchange, error, logger);
      } catch (unanswerable) {
        logger.error({ err: unanswerable instanceof Error ? unanswerable.name : typeof unanswerable }, 'a request could not be answered');
        res.destroy();
      }
    };
    try {
      runStages(stages, exchange)?.catch(fail);
    } catch (error) {
      fail(error);
    }
    return true;
  };
}

/**
 * A matcher for an Express route template such as `/a/:id/b`: the parameters of a URL in exactly that
 * spelling (a parameter is one path segment without `%` or `#`, the query is ignored), else null.
 */
function pathMatcher(route: string): (url: string) => Record<string, string> | null {
  const names: string[] = [];
  const source = route
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(segment.slice(1));
      return '([^/?%#]+)';
    })
    .join('/');
  const pattern = new RegExp(`^${source}(?:\\?|$)`);
  return (url) => {
    const found = pattern.exec(url);
    if (!found) return null;
    const params: Record<string, string> = {};
    names.forEach((name, i) => {
      params[name] = found[i + 1] as string;
    });
    return params;
  };
}
