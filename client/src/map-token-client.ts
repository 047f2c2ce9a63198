/**
 * The browser client of map-token-proxy: keeps one map token's ArcGIS token fresh in a page, and with the
 * ArcGIS Maps SDK for JavaScript registers each new token and answers the SDK's 498 (invalid token) by
 * reporting it and registering the next one, so that the sign-in dialog never opens.
 *
 * Served by the service as one dependency-free ES module at /client/map-token-client.js:
 *
 *     import { connectMapToken } from 'https://tokens.example.com/client/map-token-client.js';
 */
import { browserRuntime, createConnection } from './connection';

/** The token read's answer (GET /api/v1/map-tokens/{mapTokenID}/token), in the shape registerToken() takes. */
export interface TokenAnswer {
  mapTokenID: number;
  token: string;
  token_Expire_Date: string | null;
  /** Seconds left when the service answered; null for a static token without an expiry date. */
  expires_in: number | null;
  /** Epoch milliseconds; null for a static token without an expiry date. */
  expires: number | null;
  /** The ArcGIS REST root the token is for; null for a static token stored without one. */
  server: string | null;
  ssl: boolean;
}

/** What the client needs of @arcgis/core/identity/IdentityManager. */
export interface IdentityManagerLike {
  registerToken(properties: { server: string; token: string; expires?: number; ssl?: boolean }): void;
  findCredential(url: string): unknown;
  getCredential(url: string, options?: CredentialRequest): Promise<unknown>;
}

/** The options the SDK passes to getCredential() when a request failed for want of a valid token. */
export interface CredentialRequest {
  /** The token the failed request carried. */
  token?: string;
  /** The request's error (details.httpStatus 498 for an invalid token). */
  error?: unknown;
  [option: string]: unknown;
}

/** What the client needs of @arcgis/core/config. */
export interface EsriConfigLike {
  apiKey?: string | null;
}

export interface ConnectOptions {
  /** The service's address, e.g. https://tokens.example.com. */
  service: string;
  mapTokenID: number;
  /** The environment (atr-environment-id). */
  environment: string;
  /** A reader key (atr-subscription-key). Give this or `authorization`. */
  key?: string;
  /** Returns an Authorization value (e.g. "Bearer <access token>"), asked before every call. Give this or `key`. */
  authorization?: () => string | Promise<string>;
  /** @arcgis/core/identity/IdentityManager: every new token is registered with it, and its 498 path is handled. */
  identityManager?: IdentityManagerLike;
  /** @arcgis/core/config: a static token without `server` is set as its apiKey. */
  esriConfig?: EsriConfigLike;
  /** Told of every failed call (the connection retries by itself). */
  onError?: (error: MapTokenError) => void;
}

export interface MapTokenConnection {
  /** The first answer. Rejects when the service refuses the request for good (400, 401, 403, 404) or on stop(). */
  readonly ready: Promise<TokenAnswer>;
  /** The last answer; null before the first. */
  readonly current: TokenAnswer | null;
  /** Called with every new token; returns the function that unsubscribes. */
  onChange(listener: (answer: TokenAnswer) => void): () => void;
  /** Reports a token that ArcGIS refused (498); resolves with the next answer, which may carry the same token. */
  reportRejected(token: string): Promise<TokenAnswer>;
  /** Ends the connection: no timer, listener, request or SDK hook is left. */
  stop(): void;
}

/** A failed call to the service. */
export class MapTokenError extends Error {
  constructor(
    message: string,
    /** The HTTP status, or null when no answer came. */
    readonly status: number | null,
    /** The service's error code (e.g. "Unauthorized"), when it sent one. */
    readonly code: string | null = null,
    /** Retry-After in milliseconds, when the service sent one. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'MapTokenError';
  }

  /** Whether trying again cannot help: the request itself is refused. */
  get final(): boolean {
    return this.status !== null && this.status >= 400 && this.status < 500 && this.status !== 408 && this.status !== 429;
  }
}

/** The credential and server info that @esri/arcgis-rest-request's ArcGISIdentityManager.fromCredential() takes. */
export interface RestCredential {
  server: string;
  token: string;
  expires: number;
  ssl: boolean;
  userId: string;
}
export interface RestServerInfo {
  server: string;
  hasServer: boolean;
  hasPortal: boolean;
}

/** A static token without expiry, to a manager that assumes 2 hours when told nothing: the latest date there is. */
const NEVER = 8.64e15;

/**
 * For arcgis-rest-js: `ArcGISIdentityManager.fromCredential(...restCredential(answer))` gives a manager for a
 * portal (`server` ending in /sharing/rest) or a standalone ArcGIS Server (ending in /rest/services). Build a new
 * manager for every answer (onChange): a server-form manager keeps sending the token it was built with even
 * after updateToken().
 */
export function restCredential(answer: TokenAnswer): [RestCredential, RestServerInfo] {
  if (answer.server === null) throw new TypeError('restCredential: the answer has no server (a static token stored without one)');
  const hasServer = /\/rest\/services\/?$/i.test(answer.server);
  return [
    { server: answer.server, token: answer.token, expires: answer.expires ?? NEVER, ssl: answer.ssl, userId: '' },
    { server: answer.server, hasServer, hasPortal: !hasServer },
  ];
}

/** Connects a page to one map token: fetches it, keeps it fresh, and hands each new token to the SDK. */
export function connectMapToken(options: ConnectOptions): MapTokenConnection {
  return createConnection(options, browserRuntime());
}
