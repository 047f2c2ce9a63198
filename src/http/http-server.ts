import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorCode } from '../errors';
import type { Logger } from '../logger';

export interface SlowClientLimits {
  /** A client must have sent its whole request head within this many milliseconds. */
  headersTimeoutMs: number;
  /** ... and its whole request, body included, within this many. */
  requestTimeoutMs: number;
}

/** A client sends its headers within 10 seconds, the whole request within 30, or the connection is closed. */
export const SLOW_CLIENT_LIMITS: SlowClientLimits = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 };

/**
 * The HTTP server in front of the app. Node enforces the slow-client limits itself (it checks open
 * connections every second or so, hence a little slack), and a request that its parser refuses before
 * any route runs (a control character in a header, oversized headers, Transfer-Encoding with
 * Content-Length) still gets the JSON error envelope, whenever the connection can carry an answer.
 */
export function createHttpServer(app: http.RequestListener, logger: Logger, limits: SlowClientLimits = SLOW_CLIENT_LIMITS): http.Server {
  const server = http.createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(limits.headersTimeoutMs / 5))),
    },
    app,
  );
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => answerParserError(error, socket, logger));
  return server;
}

interface Refusal {
  status: number;
  reason: string;
  code: ErrorCode;
  msg: string;
}

function refusalFor(code: string | undefined): Refusal | null {
  switch (code) {
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      // the client went away, or took too long: the connection is closed
      return null;
    case 'HPE_HEADER_OVERFLOW':
      // no code of the envelope names headers; PayloadTooLarge is the nearest (the request is too large, in its head)
      return {
        status: 431,
        reason: 'Request Header Fields Too Large',
        code: 'PayloadTooLarge',
        msg: 'The request headers are too large (at most 16 KiB in all).',
      };
    default:
      return {
        status: 400,
        reason: 'Bad Request',
        code: 'BadRequest',
        msg: 'The request is not valid HTTP/1.1 (a malformed request line or header, or contradicting framing headers).',
      };
  }
}

function answerParserError(error: NodeJS.ErrnoException, socket: Duplex, logger: Logger): void {
  const refusal = refusalFor(error.code);
  // a response already under way on this connection cannot be followed by another one
  const inProgress = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (!refusal || !socket.writable || inProgress) {
    socket.destroy();
    return;
  }
  const requestId = randomUUID();
  // only Node's code: the raw bytes may hold a key or a token
  logger.info({ requestId, code: error.code, status: refusal.status }, 'request refused by the HTTP parser');
  const body = JSON.stringify({ msg: refusal.msg, requestId, code: refusal.code });
  socket.end(
    [
      `HTTP/1.1 ${refusal.status} ${refusal.reason}`,
      'Content-Type: application/json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      `x-request-id: ${requestId}`,
      'Cache-Control: no-store',
      'X-Content-Type-Options: nosniff',
      'Connection: close',
      '',
      body,
    ].join('\r\n'),
  );
  socket.once('finish', () => socket.destroy());
}
