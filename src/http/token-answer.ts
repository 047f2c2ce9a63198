import type { ServerResponse } from 'node:http';
import type { TokenReadBody } from '../services/map-token-types';

/**
 * The token read's answer, for both of its entrances (hot-token-read.ts in front of Express, and
 * routes/token-read.ts): 200, `Cache-Control: no-store`, the body as it is. Written here rather than by
 * Express's res.json, whose freshness check answers 304 with no body to `If-None-Match: *` or an
 * `If-Modified-Since`: a token read is never a 304, whatever conditional headers the request carries.
 * `headers` is a flat [name, value, ...] list; headers already set on `res` are kept.
 */
export function sendTokenAnswer(res: ServerResponse, headers: string[], body: TokenReadBody): void {
  sendJson(res, 200, [...headers, 'Cache-Control', 'no-store'], JSON.stringify(body));
}

/** A JSON answer written at once, with its length: no freshness check, no ETag. */
export function sendJson(res: ServerResponse, status: number, headers: string[], body: string): void {
  headers.push('Content-Type', 'application/json; charset=utf-8', 'Content-Length', String(Buffer.byteLength(body)));
  res.writeHead(status, headers);
  res.end(body);
}
