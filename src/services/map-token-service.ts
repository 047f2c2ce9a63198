import type { Clock } from '../clock';
import { ApiError, BadRequestError, type ErrorDetail, ForbiddenError, NotFoundError } from '../errors';
import { organizationAllowed, type Principal, type RequestContext, type Scope, scopeOf } from '../domain';
import type { ListQuery, MapTokenRow, MapTokenWrite, Store } from '../stores/store';
import type { MapTokenResource, MapTokenWriteItem, TokenReadBody } from './map-token-types';
import type { TokenBroker } from './token-broker';
import { type TokenState, toIsoOrNull } from './token-state';
import type { UsageRecorder } from './usage-recorder';
import { prepareMapTokenWrites, type MapTokenWriteTools } from './prepare-map-token-writes';

/** The rules of the map token resource: scoped writes, atomic batches, fresh reads. */
export class MapTokenService {
  constructor(
    private readonly store: Store,
    private readonly broker: TokenBroker,
    private readonly clock: Clock,
    private readonly writeTools: MapTokenWriteTools,
    /** STATIC_TOKEN_WARN_DAYS in milliseconds: how far ahead `expiring` looks. */
    private readonly staticTokenWarnMs: number,
    private readonly usage: UsageRecorder,
  ) {}

  async put(principal: Principal, ctx: RequestContext, items: MapTokenWriteItem[]): Promise<MapTokenResource[]> {
    checkDuplicateIds(items);
    const scope = scopeOf(principal, ctx.environment);
    items.forEach((item, index) => {
      if (!organizationAllowed(scope, item.organization_ID)) {
        throw new ForbiddenError(
          `Item /${index} names organization ${item.organization_ID}; your key or client may only write organization ${principal.organizationId}.`,
        );
      }
    });
    const existing = await this.loadExisting(scope, items);
    const prepared = await prepareMapTokenWrites(this.writeTools, items, existing);
    const writes: MapTokenWrite[] = prepared.map((p) => p.write);
    const rows = await this.store.mapTokens.writeBatch(writes, auditOf(ctx));
    // this instance sees its own writes at once; others within CACHE_TTL_SECONDS
    return rows.map((row, index) => toResource(row, this.broker.prime(row, prepared[index]?.plaintextToken)));
  }

  /** `expiring`: only static tokens that expire within STATIC_TOKEN_WARN_DAYS, or have expired. */
  async list(
    principal: Principal,
    environment: string,
    { expiring, ...query }: Omit<ListQuery, 'expiringBy'> & { expiring?: boolean },
  ): Promise<{ items: MapTokenResource[]; total: number }> {
    const filter: ListQuery = expiring ? { ...query, expiringBy: this.clock.now() + this.staticTokenWarnMs } : query;
    const { rows, total } = await this.store.mapTokens.list(scopeOf(principal, environment), filter);
    return { items: rows.map((row) => toResource(row, this.broker.view(row))), total };
  }

  async get(principal: Principal, environment: string, id: number): Promise<MapTokenResource> {
    // an admin read goes to the store (and answers 503 while it is away); the broker serves the row's token
    const scope = scopeOf(principal, environment);
    const row = await this.store.mapTokens.get(scope, id);
    if (!row) throw new NotFoundError(`Map token ${id} was not found.`);
    const state = await this.broker.freshRow(row, scope);
    return toResource(state.row, state);
  }

  async readToken(principal: Principal, environment: string, id: number): Promise<TokenReadBody> {
    return this.tokenBody(await this.counted(id, this.broker.fresh(scopeOf(principal, environment), id)));
  }

  /** A client's report that ArcGIS refused `rejected` (498): a new token if it was the current one. */
  async reportRejected(principal: Principal, environment: string, id: number, rejected: string): Promise<TokenReadBody> {
    return this.tokenBody(await this.counted(id, this.broker.reportRejected(scopeOf(principal, environment), id, rejected)));
  }

  /**
   * A token read counts toward the map token's usage (in memory, written in batches) when it found the
   * map token: answered, or failed because ArcGIS did (502/504), which still says someone uses it.
   */
  private async counted(id: number, read: Promise<TokenState>): Promise<TokenState> {
    try {
      const state = await read;
      this.usage.record(id);
      return state;
    } catch (error) {
      if (error instanceof ApiError && (error.status === 502 || error.status === 504)) this.usage.record(id);
      throw error;
    }
  }

  /** The token answer, in the shape IdentityManager.registerToken() of the ArcGIS Maps SDK takes as is. */
  private tokenBody(state: TokenState): TokenReadBody {
    if (state.token === null) throw new NotFoundError(`Map token ${state.id} has no token.`);
    return {
      mapTokenID: state.id,
      token: state.token,
      token_Expire_Date: state.expiresAtIso,
      expires_in: state.expiresAt === null ? null : Math.max(0, Math.floor((state.expiresAt - this.clock.now()) / 1000)),
      expires: state.expiresAt,
      server: state.server,
      ssl: state.ssl,
    };
  }

  async delete(principal: Principal, ctx: RequestContext, id: number): Promise<void> {
    const deleted = await this.store.mapTokens.delete(scopeOf(principal, ctx.environment), id, auditOf(ctx));
    this.broker.evict(id);
    if (!deleted) throw new NotFoundError(`Map token ${id} was not found.`);
  }

  /** The rows the items replace, read in one query right before the transaction (whose version checks catch a change in between). */
  private async loadExisting(scope: Scope, items: MapTokenWriteItem[]): Promise<Map<number, MapTokenRow>> {
    const ids = items.flatMap((item) => (item.mapTokenID === undefined ? [] : [item.mapTokenID]));
    const existing = await this.store.mapTokens.getMany(scope, ids);
    const missing: ErrorDetail[] = [];
    for (const [index, item] of items.entries()) {
      if (item.mapTokenID !== undefined && !existing.has(item.mapTokenID)) {
        missing.push({ path: `/${index}/mapTokenID`, message: `map token ${item.mapTokenID} was not found` });
      }
    }
    if (missing.length) {
      throw new NotFoundError(
        `${missing.length === 1 ? 'A map token' : `${missing.length} map tokens`} of the body ${missing.length === 1 ? 'was' : 'were'} not found in this environment; nothing was stored.`,
        missing,
      );
    }
    return existing;
  }
}

function auditOf(ctx: RequestContext) {
  return { environment: ctx.environment, actor: ctx.actor, requestId: ctx.requestId, partnerId: ctx.partnerId };
}

function checkDuplicateIds(items: MapTokenWriteItem[]): void {
  const first = new Map<number, number>();
  const details: ErrorDetail[] = [];
  items.forEach((item, index) => {
    if (item.mapTokenID === undefined) return;
    const seen = first.get(item.mapTokenID);
    if (seen === undefined) first.set(item.mapTokenID, index);
    else details.push({ path: `/${index}/mapTokenID`, message: `repeats mapTokenID ${item.mapTokenID} of item /${seen}` });
  });
  if (details.length) throw new BadRequestError(`The same mapTokenID appears more than once in the body; nothing was stored.`, details);
}

function toResource(row: MapTokenRow, state: TokenState): MapTokenResource {
  return {
    mapTokenID: row.id,
    organization_ID: row.organizationId,
    authType: row.authType,
    authKey: row.authKey,
    authTimeout: row.authTimeout,
    authURL: row.authUrl,
    authReferer: row.authReferer,
    server: state.server,
    token: state.token,
    token_Expire_Date: state.expiresAtIso,
    lastRefreshError: row.lastRefreshError && { ...row.lastRefreshError, at: new Date(row.lastRefreshError.at).toISOString() },
    usage: { lastReadAt: toIsoOrNull(row.usage.lastReadAt), reads: row.usage.reads },
  };
}
