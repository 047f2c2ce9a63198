import { oauthRequest } from '../arcgis/token-protocols';
import { type CredentialedFields, credentialedType } from './credentialed-type';

/** An ArcGIS OAuth app (client_credentials): authKey is the client id, the sealed secret its client secret. */
export interface AgolFields extends CredentialedFields {
  authType: 'agol';
  /** Absent means null: an app's tokens are bound to nothing. */
  authReferer?: null;
}

/** `agol`: an ArcGIS OAuth app on ArcGIS Online or an Enterprise portal; tokens from the client_credentials grant. */
export const agol = credentialedType<AgolFields>({
  authType: 'agol',
  secretName: 'secret',
  authRefererOf: () => null,
  fields: (common) => ({ ...common, authType: 'agol', authReferer: null }),
  request: (fields, secret) =>
    oauthRequest({ authURL: fields.authUrl, clientId: fields.authKey, clientSecret: secret, expirationMinutes: fields.authTimeout }),
});
