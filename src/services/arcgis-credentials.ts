import type { ArcgisCredentials } from '../arcgis/arcgis-client';
import type { SecretBox } from '../crypto/secret-box';
import type { AgolFields, EnterpriseFields, MapTokenFields } from '../stores/store';

/** What ArcGIS is asked with for a stored agol or enterprise item (its secret unsealed). */
export function credentialsOf(row: MapTokenFields, box: SecretBox): ArcgisCredentials {
  if (row.authType === 'static') throw new Error('a static item has no ArcGIS credentials');
  return credentialsWith(row, box.decrypt(row.authSecretEnc));
}

/** The same with the secret at hand in plaintext (a write that has just received it). */
export function credentialsWith(fields: AgolFields | EnterpriseFields, secret: string): ArcgisCredentials {
  if (fields.authType === 'enterprise') {
    return {
      authType: 'enterprise',
      authURL: fields.authUrl,
      username: fields.authKey,
      password: secret,
      referer: fields.authReferer ?? null,
      expirationMinutes: fields.authTimeout,
    };
  }
  return {
    authType: 'agol',
    authURL: fields.authUrl,
    clientId: fields.authKey,
    clientSecret: secret,
    expirationMinutes: fields.authTimeout,
  };
}
