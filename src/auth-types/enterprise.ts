import { generateTokenRequest } from '../arcgis/token-protocols';
import { type CredentialedFields, credentialedType } from './credentialed-type';

/** A named user of a portal or standalone server (generateToken): authKey is the user name, the sealed secret its password. */
export interface EnterpriseFields extends CredentialedFields {
  authType: 'enterprise';
  /** The referer the token is bound to (null: client=requestip). Absent means null. */
  authReferer?: string | null;
}

/**
 * `enterprise`: a named user of an ArcGIS Enterprise portal or a standalone ArcGIS Server; tokens from
 * generateToken, bound to authReferer (or to the service's address without one).
 */
export const enterprise = credentialedType<EnterpriseFields>({
  authType: 'enterprise',
  secretName: 'password',
  authRefererOf: (item) => item.authReferer ?? null,
  fields: (common) => ({ ...common, authType: 'enterprise' }),
  request: (fields, secret) =>
    generateTokenRequest({
      authURL: fields.authUrl,
      username: fields.authKey,
      password: secret,
      referer: fields.authReferer ?? null,
      expirationMinutes: fields.authTimeout,
    }),
});
