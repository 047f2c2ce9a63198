/** TypeScript views of schemas/map-token-write.json and schemas/map-token.json (kept equal by a test). */
export interface MapTokenWriteItem {
  mapTokenID?: number;
  organization_ID: number;
  authType: 'agol' | 'enterprise' | 'static';
  authKey?: string | null;
  authToken?: string;
  authTimeout?: number | null;
  authURL?: string | null;
  authReferer?: string | null;
  token?: string | null;
  token_Expire_Date?: string | null;
  /** Read-only: accepted so that a GET-modify-PUT round trip works, and ignored. */
  lastRefreshError?: unknown;
}

export interface MapTokenResource {
  mapTokenID: number;
  organization_ID: number;
  authType: 'agol' | 'enterprise' | 'static';
  authKey: string | null;
  authTimeout: number | null;
  authURL: string | null;
  authReferer: string | null;
  token: string | null;
  token_Expire_Date: string | null;
  lastRefreshError: { at: string; kind: 'rejected' | 'error' | 'timeout'; message: string } | null;
}

export interface TokenReadBody {
  mapTokenID: number;
  token: string;
  token_Expire_Date: string | null;
  expires_in: number | null;
  expires: number | null;
  server: string | null;
  ssl: boolean;
}
