import type { AuthTypeModule, CommonFields } from './auth-type-module';

/** A token stored as given: no credentials. */
export interface StaticFields extends CommonFields {
  authType: 'static';
  authKey: null;
  authSecretEnc: null;
  authTimeout: null;
  authUrl: null;
  /** Absent means null. */
  authReferer?: null;
  /** The ArcGIS REST root the token is for (the token read's `server`). Absent means null. */
  server?: string | null;
}

/** `static`: a token stored as given, handed out as it is until it is replaced; the service never renews it. */
export const staticToken: AuthTypeModule<StaticFields> = {
  authType: 'static',
  draft(item, { index, now, problems }) {
    const expiresAt = item.token_Expire_Date ? Date.parse(item.token_Expire_Date) : null;
    // the schema's date-time admits what Date cannot hold (a leap second, 23:59:60)
    if (Number.isNaN(expiresAt)) problems.push({ path: `/${index}/token_Expire_Date`, message: 'is not a date this service can store' });
    else if (expiresAt !== null && expiresAt <= now) problems.push({ path: `/${index}/token_Expire_Date`, message: 'is in the past' });
    return {
      fields: {
        organizationId: item.organization_ID,
        authType: 'static',
        authKey: null,
        authSecretEnc: null,
        authTimeout: null,
        authUrl: null,
        authReferer: null,
        server: item.server ?? null,
      },
      token: { plaintext: item.token, expiresAt },
    };
  },
  tokenRequest: () => null,
  // as stored: nothing is fetched from it, so it names where the token is used, for registerToken()
  server: (fields) => fields.server ?? null,
  renews: false,
  renewAt: () => null,
  // the admin who stored it answers for its expiry: the service has no other token to give
  usable: () => true,
};
