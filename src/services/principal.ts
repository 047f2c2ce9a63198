// the caller lives in domain.ts, beside the scope it is given
export type { Principal } from '../domain';

export interface RequestContext {
  environment: string;
  requestId: string;
  /** atr-request-source, else the client id, else null. */
  actor: string | null;
  partnerId: string | null;
}
