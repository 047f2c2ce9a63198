import { expiryOf } from '../token-timing';
import type { ArcgisClient, ArcgisCredentials } from '../arcgis/arcgis-client';
import type { AuthUrlAllowlist } from '../arcgis/auth-url-allowlist';
import type { Clock } from '../clock';
import type { SecretBox } from '../crypto/secret-box';
import { ApiError, BadRequestError, type ErrorDetail, UpstreamRejectedError, UpstreamTimeoutError } from '../errors';
import type { AgolFields, EnterpriseFields, MapTokenFields, MapTokenRow, MapTokenWrite, StoredToken } from '../stores/store';
import { credentialsWith } from './arcgis-credentials';
import type { MapTokenWriteItem } from './map-token-types';

/** What preparing a PUT needs: sealing, the allowlist, ArcGIS for the tokens fetched before the commit, time. */
export interface MapTokenWriteTools {
  box: SecretBox;
  arcgis: ArcgisClient;
  allowlist: AuthUrlAllowlist;
  clock: Clock;
}

export interface PreparedWrite {
  write: MapTokenWrite;
  /** The token written, in plaintext, to prime the cache; undefined when the stored token is kept. */
  plaintextToken: string | null | undefined;
}

/** ArcGIS calls made at once for one PUT: enough to be quick, few enough to be polite. */
const FETCH_CONCURRENCY = 8;

interface Draft {
  index: number;
  fields: MapTokenFields;
  existing: MapTokenRow | undefined;
  token: StoredToken | null | undefined;
  plaintextToken: string | null | undefined;
  /** Set when ArcGIS must be asked for a token before the commit. */
  fetch?: ArcgisCredentials;
}

/**
 * Turns validated PUT items into store writes: seals secrets, checks the allowlist, and fetches a token
 * for every agol or enterprise item whose credentials are new or changed, all before anything is written. Any
 * problem throws, and the caller stores nothing.
 */
export async function prepareMapTokenWrites(
  tools: MapTokenWriteTools,
  items: MapTokenWriteItem[],
  existing: Map<number, MapTokenRow>,
): Promise<PreparedWrite[]> {
  const problems: ErrorDetail[] = [];
  const drafts: Draft[] = [];
  items.forEach((item, index) => {
    const planned = draft(tools, item, index, item.mapTokenID === undefined ? undefined : existing.get(item.mapTokenID), problems);
    if (planned) drafts.push(planned);
  });
  // every item without a problem has its draft
  const [problem] = problems;
  if (problem) throw new BadRequestError(`${problem.path} ${problem.message}; nothing was stored.`, problems);

  await fetchTokens(tools, drafts);

  return drafts.map((d) => ({
    write: d.existing
      ? { kind: 'update', id: d.existing.id, expectedVersion: d.existing.version, fields: d.fields, token: d.token }
      : { kind: 'create', fields: d.fields, token: d.token ?? null },
    plaintextToken: d.plaintextToken,
  }));
}

/** The draft of one item, or undefined when it has a problem (recorded in `problems`). */
function draft(
  tools: MapTokenWriteTools,
  item: MapTokenWriteItem,
  index: number,
  old: MapTokenRow | undefined,
  problems: ErrorDetail[],
): Draft | undefined {
  const { box, clock } = tools;
  if (item.authType === 'static') {
    const token = item.token;
    const expiresAt = item.token_Expire_Date ? Date.parse(item.token_Expire_Date) : null;
    // the schema's date-time admits what Date cannot hold (a leap second, 23:59:60)
    if (expiresAt !== null && Number.isNaN(expiresAt))
      problems.push({ path: `/${index}/token_Expire_Date`, message: 'is not a date this service can store' });
    else if (expiresAt !== null && expiresAt <= clock.now())
      problems.push({ path: `/${index}/token_Expire_Date`, message: 'is in the past' });
    return {
      index,
      existing: old,
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
      token: { tokenEnc: box.encrypt(token), issuedAt: clock.now(), expiresAt },
      plaintextToken: token,
    };
  }

  const authType = item.authType;
  const authURL = item.authURL;
  const authKey = item.authKey;
  const authTimeout = item.authTimeout ?? null;
  // the schema admits authReferer only for enterprise items
  const authReferer = item.authType === 'enterprise' ? (item.authReferer ?? null) : null;
  if (!tools.allowlist.allows(authURL)) {
    problems.push({
      path: `/${index}/authURL`,
      message: `is not allowed: it must start with one of AUTH_URL_ALLOWLIST (${tools.allowlist.describe()})`,
    });
  }
  // a stored secret is kept only within its type: a client secret is no password, nor the reverse
  const same = old !== undefined && old.authType !== 'static' && old.authType === authType ? old : undefined;
  const oldSecret = same && box.decrypt(same.authSecretEnc);
  const secret = item.authToken ?? oldSecret;
  const what = authType === 'enterprise' ? 'password' : 'secret';
  if (secret === undefined) {
    problems.push({
      path: `/${index}/authToken`,
      message: `is required when an item becomes ${authType} (there is no stored ${what} to keep)`,
    });
    return undefined;
  } else if (item.authToken === undefined && old?.authUrl && originOf(old.authUrl) !== originOf(authURL)) {
    // the stored secret goes only where it went before: moving it to another origin takes the caller sending it
    problems.push({
      path: `/${index}/authToken`,
      message: `is required when authURL moves to another origin (the stored ${what} is not sent elsewhere)`,
    });
  }
  const unchanged =
    same !== undefined &&
    same.authKey === authKey &&
    same.authUrl === authURL &&
    same.authTimeout === authTimeout &&
    same.authReferer === authReferer &&
    secret === oldSecret;
  const common = {
    organizationId: item.organization_ID,
    authKey,
    authSecretEnc: unchanged ? same.authSecretEnc : box.encrypt(secret),
    authTimeout,
    authUrl: authURL,
  };
  const fields: AgolFields | EnterpriseFields =
    authType === 'enterprise' ? { ...common, authType, authReferer } : { ...common, authType, authReferer: null };
  return {
    index,
    existing: old,
    fields,
    token: undefined,
    plaintextToken: undefined,
    fetch: unchanged ? undefined : credentialsWith(fields, secret),
  };
}

async function fetchTokens(tools: MapTokenWriteTools, drafts: Draft[]): Promise<void> {
  const queue = drafts.flatMap((d) => (d.fetch ? [{ d, credentials: d.fetch }] : []));
  const failures: { index: number; error: unknown }[] = [];
  const worker = async () => {
    // after the first failure the PUT fails anyway: take no more items, so it answers within one timeout or so
    for (let next = queue.shift(); next && failures.length === 0; next = queue.shift()) {
      const { d, credentials } = next;
      try {
        const fetched = await tools.arcgis.fetchToken(credentials);
        const issuedAt = tools.clock.now();
        d.token = { tokenEnc: tools.box.encrypt(fetched.accessToken), issuedAt, expiresAt: expiryOf(issuedAt, fetched.expiresInSeconds) };
        d.plaintextToken = fetched.accessToken;
      } catch (error) {
        failures.push({ index: d.index, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(FETCH_CONCURRENCY, queue.length) }, worker));
  if (!failures.length) return;
  failures.sort((a, b) => a.index - b.index);

  const rejected = failures.filter((f) => f.error instanceof UpstreamRejectedError);
  const [firstRejected] = rejected;
  if (firstRejected) {
    const details = rejected.map((f) => ({
      path: `/${f.index}`,
      message: `ArcGIS rejected the credentials: ${(f.error as UpstreamRejectedError).arcgisMessage}`,
    }));
    throw new BadRequestError(
      `ArcGIS rejected the credentials of item /${firstRejected.index}: ${(firstRejected.error as UpstreamRejectedError).arcgisMessage}; nothing was stored.`,
      details,
    );
  }
  const first = failures.find((f) => f.error instanceof UpstreamTimeoutError) ?? failures[0];
  if (!first) return;
  if (first.error instanceof ApiError) {
    const { status, code, message } = first.error;
    throw new ApiError(status, code, `Could not get a token for item /${first.index}: ${message}; nothing was stored.`);
  }
  throw first.error;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
