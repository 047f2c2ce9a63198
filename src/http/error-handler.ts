import type { NextFunction, Request, Response } from 'express';
import { ApiError, BadRequestError, type ErrorDetail, NotFoundError, RenewalPausedError, TooManyRequestsError } from '../errors';
import type { Logger } from '../logger';
import { type Exchange, exchangeOf } from './exchange';

/**
 * Errors that express or a body parser raises for a bad request (malformed JSON, a body too large, an
 * encoding it cannot read, a path that is not valid percent-encoding): the caller's fault, so never a
 * 500. Their own messages may quote the input; these do not.
 */
function fromFrameworkError(error: unknown): ApiError | null {
  if (error instanceof URIError) return new BadRequestError('The request path is not valid percent-encoding.');
  const { type, status, code } = (error ?? {}) as { type?: unknown; status?: unknown; code?: unknown };
  switch (type) {
    case 'entity.parse.failed':
      return new BadRequestError('The request body is not valid JSON.');
    case 'entity.too.large':
      // routes with a JSON body name their own cap (json-body.ts); this is the others' (the login's 16 KiB)
      return new ApiError(
        413,
        'PayloadTooLarge',
        `The request body is larger than the ${String((error as { limit?: unknown }).limit)} bytes this route accepts.`,
      );
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError(415, 'UnsupportedMediaType', 'The request body must be UTF-8 JSON.');
  }
  if (typeof status !== 'number' || status < 400 || status > 499) return null;
  if (status === 413) return new ApiError(413, 'PayloadTooLarge', 'The request body is too large.');
  if (status === 415)
    return new ApiError(415, 'UnsupportedMediaType', 'The request body has a content type or encoding that is not supported.');
  if (typeof code === 'string' && code.startsWith('Z_'))
    return new BadRequestError('The request body could not be decompressed as its Content-Encoding says.');
  return new BadRequestError('The request body could not be read.');
}

interface ErrorBody {
  msg: string;
  requestId: string;
  code: string;
  details?: ErrorDetail[];
}

function errorBody(error: ApiError, requestId: string): ErrorBody {
  const body: ErrorBody = { msg: error.message, requestId, code: error.code };
  if (error.details?.length) body.details = error.details;
  return body;
}

/**
 * What the caller is told about `error`: ApiErrors as they are; anything else is a 500 whose cause is
 * logged (at error level, with the request id) but never answered. 5xx are logged at error level.
 */
function apiErrorOf(error: unknown, requestId: string, logger: Logger): ApiError {
  const apiError = error instanceof ApiError ? error : fromFrameworkError(error);
  if (!apiError) {
    logger.error({ requestId, err: safeError(error) }, 'unexpected error');
    return new ApiError(500, 'InternalError', 'Something went wrong on our side; the request id identifies it in the logs.');
  }
  if (apiError.status >= 500) {
    logger.error(
      // the caller's sentence goes in a field of its own: a second msg key would hide one of the two
      { requestId, status: apiError.status, code: apiError.code, reason: apiError.message, cause: causeCode(apiError) },
      'request failed',
    );
  }
  return apiError;
}

/** Headers an error answer carries besides the envelope's: Allow on a 405, Retry-After on a 429, a 503 and inside a retry pause. */
function errorHeaders(apiError: ApiError): string[] {
  if (apiError.status === 405 && (apiError as MethodNotAllowed).allow) return ['Allow', (apiError as MethodNotAllowed).allow];
  if (apiError instanceof TooManyRequestsError || apiError instanceof RenewalPausedError)
    return ['Retry-After', String(apiError.retryAfterSeconds)];
  if (apiError.status === 503) return ['Retry-After', '5'];
  return [];
}

/** Answers `error` as the envelope, whichever entrance the request came through. */
export function answerError(exchange: Exchange, error: unknown, logger: Logger): void {
  const apiError = apiErrorOf(error, exchange.requestId, logger);
  exchange.errorCode = apiError.code;
  exchange.sendJson(apiError.status, errorHeaders(apiError), JSON.stringify(errorBody(apiError, exchange.requestId)));
}

/** The one error middleware of Express: errors become the {msg, requestId, code, details?} envelope. */
export function errorHandler(logger: Logger) {
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(error);
    answerError(exchangeOf(req), error, logger);
  };
}

/**
 * What the error-level log line of a 5xx keeps of the error: its class, code, message and stack, for the
 * operator only (the caller gets the envelope). No secret can be in it: secrets reach the store sealed,
 * queries are parameterised, and ArcGIS's messages are quoted with the secret cut out.
 */
function safeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  return { type: error.name, message: error.message, code: (error as { code?: unknown }).code, stack: error.stack };
}

function causeCode(error: ApiError): unknown {
  const cause = error.cause as { code?: unknown } | undefined;
  return cause?.code;
}

class MethodNotAllowed extends ApiError {
  constructor(
    method: string,
    readonly allow: string,
  ) {
    super(405, 'MethodNotAllowed', `${method} is not allowed here; allowed: ${allow}.`);
  }
}

/** For router.route(...).all(): a method the route lacks. */
export function methodNotAllowed(allow: string[]) {
  const list = allow.join(', ');
  return (req: Request, _res: Response, next: NextFunction): void => next(new MethodNotAllowed(req.method, list));
}

export function notFound(req: Request, _res: Response, next: NextFunction): void {
  next(new NotFoundError(`No route ${req.method} ${req.path}.`));
}
