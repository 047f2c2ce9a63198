import { serverOf } from '../arcgis/server-of';
import type { TokenRequest } from '../arcgis/token-request';
import type { SecretBox } from '../crypto/secret-box';
import { renewAtOf, unexpired } from '../token-timing';
import type { AuthTypeModule, CommonFields, WriteContext, WriteDraft } from './auth-type-module';

/** The fields of an auth type whose tokens the service fetches from ArcGIS with a key and a sealed secret. */
export interface CredentialedFields extends CommonFields {
  authKey: string;
  authSecretEnc: string;
  authTimeout: number | null;
  authUrl: string;
}

/** What a PUT item of such a type carries (the schema has checked it). */
interface CredentialedItem {
  organization_ID: number;
  authReferer?: string | null;
  authType: string;
  authKey: string;
  authURL: string;
  authToken?: string;
  authTimeout?: number | null;
}

/** What sets one credentialed type apart: its name, its protocol, and what its secret and referer are. */
interface CredentialedRules<F extends CredentialedFields> {
  authType: F['authType'];
  /** What the secret is called in messages: a client secret is no password. */
  secretName: string;
  /** The referer an item's tokens are bound to (null: none). */
  authRefererOf(item: { authReferer?: string | null }): string | null;
  /** The type's fields from the columns every credentialed type has. */
  fields(common: Omit<CredentialedFields, 'authType'> & { authReferer: string | null }): F;
  /** The token request for the columns and the secret in plaintext (the type's protocol). */
  request(columns: Omit<CredentialedFields, 'organizationId' | 'authType' | 'authSecretEnc'>, secret: string): TokenRequest;
}

/**
 * The module of a type whose tokens are fetched from ArcGIS with stored credentials: the shared write
 * rules below; tokens renewed ahead of expiry and handed out until they expire; `server` from authURL.
 */
export function credentialedType<F extends CredentialedFields>(rules: CredentialedRules<F>): AuthTypeModule<F> {
  return {
    authType: rules.authType,
    // the schema requires authKey and authURL of every type with credentials (schemas/map-token-write.json)
    draft: (item, context) => draftWithCredentials(item as CredentialedItem, context, rules),
    tokenRequest: (fields, unseal) => rules.request(fields, unseal(fields.authSecretEnc)),
    server: (fields) => serverOf(fields.authUrl),
    renews: true,
    renewAt: renewAtOf,
    usable: unexpired,
  };
}

/**
 * The write rules of every auth type with credentials: the authURL must be allowed; the stored secret is
 * kept (when the item omits it) only within the same type and only while authURL keeps its origin; a token
 * is fetched before the commit unless nothing that reaches ArcGIS changed.
 */
function draftWithCredentials<F extends CredentialedFields>(
  item: CredentialedItem,
  context: WriteContext<F>,
  rules: CredentialedRules<F>,
): WriteDraft<F> | undefined {
  const { index, same, box, allowlist, problems } = context;
  const { authURL, authKey } = item;
  const authTimeout = item.authTimeout ?? null;
  if (!allowlist.allows(authURL)) {
    problems.push({
      path: `/${index}/authURL`,
      message: `is not allowed: it must start with one of AUTH_URL_ALLOWLIST (${allowlist.describe()})`,
    });
  }
  // a stored secret is kept only within its type (`same`): a client secret is no password, nor the reverse.
  // An item that sends a secret needs the stored one only to see whether it changed: a stored secret this
  // instance cannot open (sealed with a key it lacks) is then replaced, not a reason to refuse the write.
  const oldSecret = same && (item.authToken === undefined ? box.decrypt(same.authSecretEnc) : openedOrUndefined(box, same.authSecretEnc));
  const secret = item.authToken ?? oldSecret;
  if (secret === undefined) {
    problems.push({
      path: `/${index}/authToken`,
      message: `is required when an item becomes ${item.authType} (there is no stored ${rules.secretName} to keep)`,
    });
    return undefined;
  } else if (item.authToken === undefined && same && originOf(same.authUrl) !== originOf(authURL)) {
    // the stored secret goes only where it went before: moving it to another origin takes the caller sending it
    problems.push({
      path: `/${index}/authToken`,
      message: `is required when authURL moves to another origin (the stored ${rules.secretName} is not sent elsewhere)`,
    });
  }
  const authReferer = rules.authRefererOf(item);
  const unchanged =
    same !== undefined &&
    same.authKey === authKey &&
    same.authUrl === authURL &&
    same.authTimeout === authTimeout &&
    same.authReferer === authReferer &&
    secret === oldSecret;
  const fields = rules.fields({
    organizationId: item.organization_ID,
    authKey,
    authSecretEnc: unchanged ? same.authSecretEnc : box.encrypt(secret),
    authTimeout,
    authUrl: authURL,
    authReferer,
  });
  return { fields, ...(unchanged ? {} : { fetch: rules.request(fields, secret) }) };
}

/**
 * The stored secret, or undefined when this instance cannot open it: sealed with a key it lacks, or
 * damaged. Used only when the write sends a new secret, which replaces it either way.
 */
function openedOrUndefined(box: SecretBox, sealed: string): string | undefined {
  try {
    return box.decrypt(sealed);
  } catch {
    // either way, nothing to keep
  }
  return undefined;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
