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
}

export interface TokenReadBody {
  mapTokenID: number;
  token: string;
  token_Expire_Date: string | null;
  expires_in: number | null;
}
