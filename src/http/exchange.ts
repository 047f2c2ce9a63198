import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler } from 'express';
import type { Principal, RequestContext } from '../domain';

/**
 * One request as the request stages see it, whichever entrance it came through: the token read's fast
 * path (a plain node:http request) or Express. Stages read the request and record what they learn here;
 * the headers they add reach the answer through `addHeaders`, which each entrance implements its own way.
 */
export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The URL as it arrived (Express rewrites req.url while it routes). */
  readonly url: string;
  requestId: string;
  /** The matched route's template for logs and metric labels, never the raw path; 'unmatched' until a route matches. */
  route: string;
  /** The matched route's path parameters, as sent. */
  params: Readonly<Record<string, string>>;
  /** The path's map token id, once the path id stage has checked it. */
  mapTokenId?: number;
  ctx?: RequestContext;
  principal?: Principal;
  /** The code of the error answered, for the log line. */
  errorCode?: string;
  /** Adds answer headers, as a flat [name, value, ...] list. */
  addHeaders(headers: readonly string[]): void;
  /** Answers: the headers added so far, then `headers`, with a JSON body. */
  sendJson(status: number, headers: readonly string[], body: string): void;
}

/**
 * One step of the request pipeline. It refuses a request by throwing an ApiError (the entrance turns it
 * into the error envelope), and returns a promise only when it must wait (authentication).
 */
export interface Stage {
  readonly name: string;
  run(exchange: Exchange): void | Promise<void>;
}

const JSON_TYPE = 'application/json; charset=utf-8';

abstract class BaseExchange {
  route = 'unmatched';
  requestId = '';
  params: Readonly<Record<string, string>> = {};
  mapTokenId?: number;
  ctx?: RequestContext;
  principal?: Principal;
  errorCode?: string;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly url: string,
  ) {}
}

/**
 * The fast path's exchange: headers wait in one list and go out in one writeHead, the cheapest way
 * node:http has to answer.
 */
export class DirectExchange extends BaseExchange implements Exchange {
  private headers: string[] = [];

  addHeaders(headers: readonly string[]): void {
    for (const value of headers) this.headers.push(value);
  }

  sendJson(status: number, headers: readonly string[], body: string): void {
    const all = this.headers.concat(headers as string[], 'Content-Type', JSON_TYPE, 'Content-Length', String(Buffer.byteLength(body)));
    this.res.writeHead(status, all);
    this.res.end(body);
  }
}

/** Express's exchange: headers are set at once, so that every Express answer (error handler, res.json) carries them. */
class ExpressExchange extends BaseExchange implements Exchange {
  addHeaders(headers: readonly string[]): void {
    for (let i = 0; i < headers.length; i += 2) this.res.setHeader(headers[i] as string, headers[i + 1] as string);
  }

  sendJson(status: number, headers: readonly string[], body: string): void {
    this.addHeaders(headers);
    this.res.setHeader('Content-Type', JSON_TYPE);
    this.res.setHeader('Content-Length', String(Buffer.byteLength(body)));
    this.res.statusCode = status;
    this.res.end(body);
  }
}

const EXCHANGE = Symbol('exchange');

/** The exchange of a request that entered through Express, made on first use and kept for the request's life. */
export function exchangeOf(req: Request): Exchange {
  const holder = req as Request & { [EXCHANGE]?: Exchange };
  let exchange = holder[EXCHANGE];
  if (!exchange) {
    if (!req.res) throw new Error('exchangeOf: a request outside Express');
    exchange = new ExpressExchange(req, req.res, req.originalUrl);
    holder[EXCHANGE] = exchange;
  }
  return exchange;
}

/**
 * Express middleware that runs `stages` for the request, then goes on (or to the error handler), unless
 * a stage answered: the chain ends there (what comes next, a 405 for instance, must not run after an
 * answer, or Express would close the connection under a keep-alive client).
 */
export function expressStages(...stages: Stage[]): RequestHandler {
  return (req, res, next) => {
    const exchange = exchangeOf(req);
    exchange.params = req.params as Record<string, string>;
    const goOn = () => {
      if (!res.headersSent) next();
    };
    const waiting = runStages(stages, exchange);
    if (waiting) waiting.then(goOn, next);
    else goOn();
  };
}

/** The environment and caller of a request that passed the atr headers and authentication stages. */
export function contextOf(req: Request): { ctx: RequestContext; principal: Principal } {
  const { ctx, principal } = exchangeOf(req);
  if (!ctx || !principal) throw new Error('route mounted without the atr headers and authentication stages');
  return { ctx, principal };
}

/**
 * Runs stages in order, from `from`. Synchronous as long as the stages are: a stage that waits is
 * awaited and the rest run after it, so only a request that waits costs a promise. A stage's error is
 * thrown, or the promise's rejection once a stage has waited.
 */
export function runStages(stages: readonly Stage[], exchange: Exchange, from = 0): void | Promise<void> {
  for (let i = from; i < stages.length; i += 1) {
    const waiting = (stages[i] as Stage).run(exchange);
    if (waiting) return waiting.then(() => runStages(stages, exchange, i + 1));
  }
}
