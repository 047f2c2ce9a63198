/**
 * The service's own error types. Each carries the HTTP status and the Atrius error code it maps to;
 * the one error middleware (http/error-handler.ts) turns them into the {msg, requestId, code} envelope.
 * Messages are written for the caller: they never contain a secret, a stack or a driver message.
 */
export type ErrorCode =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'Conflict'
  | 'PayloadTooLarge'
  | 'UnsupportedMediaType'
  | 'TooManyRequests'
  | 'InternalError'
  | 'BadGateway'
  | 'ServiceUnavailable'
  | 'GatewayTimeout';

export interface ErrorDetail {
  /** JSON pointer into the request, e.g. "/0/authURL" or "header/atr-environment-id". */
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class BadRequestError extends ApiError {
  constructor(message: string, details?: ErrorDetail[], options?: { cause?: unknown }) {
    super(400, 'BadRequest', message, details, options);
  }
}

export class UnauthorizedError extends ApiError {
  constructor(message = 'Unauthorized to access this resource.') {
    super(401, 'Unauthorized', message);
  }
}

export class ForbiddenError extends ApiError {
  constructor(message = 'Your key or client is not allowed to do this.') {
    super(403, 'Forbidden', message);
  }
}

export class NotFoundError extends ApiError {
  constructor(message = 'The resource requested was not found.', details?: ErrorDetail[]) {
    super(404, 'NotFound', message, details);
  }
}

/** A caller over its read limit; the answer says in Retry-After when the next read is granted. */
export class TooManyRequestsError extends ApiError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(429, 'TooManyRequests', message);
  }
}

export class ConflictError extends ApiError {
  constructor(message: string) {
    super(409, 'Conflict', message);
  }
}

export const tooManySecretsMessage = (max: number) =>
  `This client already has ${max} secrets, the most it may hold; delete one (DELETE /api/v1/auth/clientcredentials?id=...) before creating another.`;

export const conflictMessage = (id: number) =>
  `Map token ${id} was changed by another request while this one was being written; nothing was stored. Read it again and retry.`;

/** The store (MySQL) cannot be reached or did not answer in time. */
export class StoreUnavailableError extends ApiError {
  constructor(message = 'The database is unavailable; try again shortly.', options?: { cause?: unknown }) {
    super(503, 'ServiceUnavailable', message, undefined, options);
  }
}

/**
 * A stored value was sealed with an ENCRYPTION_KEY this instance does not hold (a rotation whose order was
 * broken: another instance already seals with a key not yet given to this one). `keyId` is the key's
 * public id (a short hash), never the key.
 */
export class EncryptionKeyMissingError extends ApiError {
  constructor(readonly keyId: string) {
    super(
      503,
      'ServiceUnavailable',
      `This value was sealed with ENCRYPTION_KEY id ${keyId}, which this instance does not hold; add that key to ENCRYPTION_KEY on every instance (docs/key-rotation.md).`,
    );
  }
}

/** ArcGIS answered, but not with a token: an error page, a 5xx, a malformed body, a redirect, a reset. */
export class UpstreamError extends ApiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(502, 'BadGateway', message, undefined, options);
  }
}

/** ArcGIS did not answer within UPSTREAM_TIMEOUT_MS. */
export class UpstreamTimeoutError extends ApiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(504, 'GatewayTimeout', message, undefined, options);
  }
}

/**
 * ArcGIS refused the credentials (wrong client id or secret, bad expiration, ...).
 * `arcgisMessage` is ArcGIS's own text, which names no secret.
 * At write time this is the caller's fault (400); on a token read it is the upstream's state (502).
 */
export class UpstreamRejectedError extends ApiError {
  constructor(readonly arcgisMessage: string) {
    super(502, 'BadGateway', `ArcGIS rejected the stored credentials: ${arcgisMessage}`);
  }
}

/**
 * No unexpired token, and the fleet is pausing after failed renewals: answered at once, without calling
 * ArcGIS, with Retry-After (whole seconds to the next try). 504 when the last try timed out, else 502.
 */
export class RenewalPausedError extends ApiError {
  readonly retryAfterSeconds: number;

  constructor(id: number, timedOut: boolean, retryInMs: number) {
    const seconds = Math.max(1, Math.ceil(retryInMs / 1000));
    super(
      timedOut ? 504 : 502,
      timedOut ? 'GatewayTimeout' : 'BadGateway',
      `ArcGIS could not give a token for map token ${id} and no unexpired token is left; the next try is in ${seconds} s (Retry-After).`,
    );
    this.retryAfterSeconds = seconds;
  }
}
