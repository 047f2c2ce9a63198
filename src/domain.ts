import type { mapTokenWriteSchema } from './generated/schemas';

/**
 * The words every layer shares (http/, services/, stores/): the auth types of a map token, the roles of
 * keys and clients, who is calling and for which request, and the scope that bounds what they see.
 */

/** The auth types of schemas/map-token-write.json; each has its module in auth-types/ (the compiler checks). */
export type AuthType = (typeof mapTokenWriteSchema)['properties']['authType']['enum'][number];
export type Role = 'admin' | 'reader';

/**
 * What a key or a client (and so its access tokens) may be bound to: a key in a browser page is public,
 * so it can be held to the pages of some origins and to a number of token reads a minute.
 */
export interface CallerRules {
  /** Origins ("scheme://host[:port]", as browsers send them) a request must come from; null: any. */
  allowedOrigins: readonly string[] | null;
  /** Token reads a minute on each instance (a token bucket with a burst of as many); null: no limit. */
  rateLimit: number | null;
}

/** Who is calling: a subscription key or a client (through a bearer access token). */
export interface Principal {
  kind: 'key' | 'client';
  /** Key id or client id: safe to log, never the secret itself. */
  id: string;
  environment: string;
  role: Role;
  /** Bound to one organization, or null for all of the environment. */
  organizationId: number | null;
  /** For client principals: the secret the access token was issued for. */
  secretId?: string;
  /** The key's or client's origin binding and read limit; absent: neither. */
  rules?: CallerRules;
}

/** The request an action is taken for: what the audit trail records and logs carry. */
export interface RequestContext {
  environment: string;
  requestId: string;
  /** atr-request-source, else the client id, else null. */
  actor: string | null;
  partnerId: string | null;
}

/**
 * Which map tokens a caller may see and change: one environment and, within it, one organization (a key or
 * client bound to it) or all of them (null). Every map token store method that reads or deletes by id or
 * lists takes one and keeps to it; a row outside the scope is not found.
 */
export interface Scope {
  environment: string;
  organizationId: number | null;
}

/** The whole of an environment: what the broker and the scheduler read with. */
export const environmentScope = (environment: string): Scope => ({ environment, organizationId: null });

/** The one scope rule: the row is in the environment and, when the scope names an organization, in it. */
export function inScope(scope: Scope, row: { environment: string; organizationId: number }): boolean {
  return row.environment === scope.environment && organizationAllowed(scope, row.organizationId);
}

/** Whether the scope admits rows of the organization (a write naming it; a list filtered by it). */
export function organizationAllowed(scope: Scope, organizationId: number): boolean {
  return scope.organizationId === null || scope.organizationId === organizationId;
}

/** What the principal may see of an environment: its organization, or all of it. */
export function scopeOf(principal: Principal, environment: string): Scope {
  return { environment, organizationId: principal.organizationId };
}
