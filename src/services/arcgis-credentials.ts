import { ArcgisCredentials } from '../arcgis/arcgis-client';
import { SecretBox } from '../crypto/secret-box';
import { MapTokenFields } from '../stores/store';

/** What ArcGIS is asked with for a stored agol or enterprise item (its secret unsealed). */
export function credentialsOf(row: MapTokenFields, box: SecretBox): ArcgisCredentials {
  if (row.authSecretEnc === null) throw new Error(`a stored ${row.authType} item has no sealed secret`);
  return credentialsWith(row, box.decrypt(row.authSecretEnc));
}

/** The same with the secret at hand in plaintext (a write that has just received it). */
export function credentialsWith(fields: MapTokenFields, secret: string): ArcgisCredentials {
  if (fields.authType === 'static' || fields.authUrl === null || fields.authKey === null) {
    throw new Error(`a ${fields.authType} item without authURL and authKey has no ArcGIS credentials`);
  }
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
  return { authType: 'agol', authURL: fields.authUrl, clientId: fields.authKey, clientSecret: secret, expirationMinutes: fields.authTimeout };
}
