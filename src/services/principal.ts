export interface RequestContext {
  environment: string;
  requestId: string;
  /** atr-request-source, else the client id, else null. */
  actor: string | null;
  partnerId: string | null;
}
