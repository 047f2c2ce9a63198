/**
 * What the ArcGIS client is handed and what it gives back. The protocols (token-protocols.ts) build
 * requests, the client (arcgis-client.ts) sends them: both import these types, neither imports the other.
 */

/** A token ArcGIS granted. */
export interface ArcgisToken {
  accessToken: string;
  expiresInSeconds: number;
}

/** One token request: where it goes, its form body, and how its success answer is read. */
export interface TokenRequest {
  /** The token URL; checked against the allowlist before anything is sent. */
  authURL: string;
  /** The form body (application/x-www-form-urlencoded). */
  body: string;
  /** Redacted from any message built out of ArcGIS's answer. */
  secret: string;
  /** The token of a success answer, or why the answer is not one; `now` is the service's clock (epoch ms). */
  readToken: (json: unknown, now: number) => ArcgisToken | string;
}

/** Whether a parsed JSON value is an object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
