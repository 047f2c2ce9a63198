import { Role, Scope } from '../stores/store';

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
}

export interface RequestContext {
  environment: string;
  requestId: string;
  /** atr-request-source, else the client id, else null. */
  actor: string | null;
  partnerId: string | null;
}

/** What the principal may see of an environment: its organization, or all of it. */
export function scopeOf(principal: Principal, environment: string): Scope {
  return { environment, organizationId: principal.organizationId };
}
