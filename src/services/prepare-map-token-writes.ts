import type { ArcgisClient } from '../arcgis/arcgis-client';
import type { AuthUrlAllowlist } from '../arcgis/auth-url-allowlist';
import type { TokenRequest } from '../arcgis/token-request';
import { authTypeOf, type MapTokenFields } from '../auth-types/auth-types';
import type { Clock } from '../clock';
import type { SecretBox } from '../crypto/secret-box';
import { ApiError, BadRequestError, type ErrorDetail, UpstreamRejectedError, UpstreamTimeoutError } from '../errors';
import type { MapTokenRow, MapTokenWrite, StoredToken } from '../stores/store';
import { expiryOf } from '../token-timing';
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
  fetch?: TokenRequest;
}

/**
 * Turns validated PUT items into store writes: each item's auth type applies its write rules (seals
 * secrets, checks the allowlist, ...), then a token is fetched for every item whose credentials are new or
 * changed, all before anything is written. Any problem throws, and the caller stores nothing.
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

/** The draft of one item by the rules of its auth type, or undefined when it has a problem (recorded in `problems`). */
function draft(
  tools: MapTokenWriteTools,
  item: MapTokenWriteItem,
  index: number,
  old: MapTokenRow | undefined,
  problems: ErrorDetail[],
): Draft | undefined {
  const { box, clock } = tools;
  const now = clock.now();
  const type = authTypeOf(item);
  const same = old?.authType === item.authType ? old : undefined;
  const planned = type.draft(item, { index, same, box, allowlist: tools.allowlist, now, problems });
  if (!planned) return undefined;
  const { fields, token, fetch } = planned;
  return {
    index,
    existing: old,
    fields,
    token: token && { tokenEnc: box.encrypt(token.plaintext), issuedAt: now, expiresAt: token.expiresAt },
    plaintextToken: token?.plaintext,
    ...(fetch ? { fetch } : {}),
  };
}

async function fetchTokens(tools: MapTokenWriteTools, drafts: Draft[]): Promise<void> {
  const queue = drafts.flatMap((d) => (d.fetch ? [{ d, request: d.fetch }] : []));
  const failures: { index: number; error: unknown }[] = [];
  const worker = async () => {
    // after the first failure the PUT fails anyway: take no more items, so it answers within one timeout or so
    for (let next = queue.shift(); next && failures.length === 0; next = queue.shift()) {
      const { d, request } = next;
      try {
        const fetched = await tools.arcgis.fetchToken(request);
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
