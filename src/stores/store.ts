import type { MapTokenFields, StoredMapTokenFields } from '../auth-types/auth-types';
import type { CallerRules, Role, Scope } from '../domain';

/**
 * The persistence contract. Two implementations keep it: stores/mysql (production, shared by every
 * instance) and stores/memory (the embedded default). One contract test suite runs against both.
 * Secrets arrive here already sealed (crypto/secret-box) or hashed: a store never sees plaintext.
 * Times are epoch milliseconds.
 */
export interface StoredToken {
  tokenEnc: string;
  issuedAt: number;
  /** null: a static token without an expiry date. */
  expiresAt: number | null;
}

/** The fields of a write as a store keeps them (an absent authReferer or server is null). */
export function storedFields(fields: MapTokenFields): StoredMapTokenFields {
  return { ...fields, authReferer: fields.authReferer ?? null, server: fields.server ?? null } as StoredMapTokenFields;
}

export type RefreshErrorKind = 'rejected' | 'error' | 'timeout';

/** Why the last renewal of a token failed: ArcGIS's own message, never a secret. */
export interface RefreshFailure {
  at: number;
  kind: RefreshErrorKind;
  message: string;
}

export type MapTokenRow = StoredMapTokenFields & MapTokenRowState;

/** What a stored row holds besides its fields, whatever its authType. */
interface MapTokenRowState {
  id: number;
  environment: string;
  token: StoredToken | null;
  /** Bumped by every admin write; a token fetched for an older version is not saved. */
  version: number;
  createdAt: number;
  updatedAt: number;
  /**
   * When the token is next due for renewal (its auth type's `renewAt`, or the end of the pause after a
   * failed renewal); null for a type that is never renewed. Kept by the store on every write of a token.
   */
  renewAt: number | null;
  /** Failed renewals since the last successful one. */
  refreshFailures: number;
  lastRefreshError: RefreshFailure | null;
  /** When a client's rejected-token report last forced a renewal. */
  forcedRenewalAt: number | null;
  /** Token reads (GET and POST of the token read route), as the instances have written them so far. */
  usage: MapTokenUsage;
  /** The later of the last read and the last admin write: whether REFRESH_AHEAD=in-use renews it ahead. */
  lastUsedAt: number;
}

interface MapTokenUsage {
  lastReadAt: number | null;
  reads: number;
}

/** Reads of one map token counted by one instance since its last flush. */
export interface UsageDelta {
  id: number;
  reads: number;
  lastReadAt: number;
}

/** What a renewal was based on: a token fetched with these credentials may replace the row's. */
export type RenewalBasis = Pick<MapTokenRow, 'id' | 'authType' | 'authKey' | 'authSecretEnc' | 'authTimeout' | 'authUrl' | 'authReferer'>;

export type MapTokenWrite =
  | { kind: 'create'; fields: MapTokenFields; token: StoredToken | null }
  /**
   * token: undefined keeps the stored token, null clears it. expectedVersion: the version the write was
   * planned on; if another write changed the row since, the batch fails with ConflictError.
   */
  | { kind: 'update'; id: number; expectedVersion: number; fields: MapTokenFields; token: StoredToken | null | undefined };

export interface ListQuery {
  limit: number;
  offset: number;
  /** A filter within the scope: a scope bound to another organization lists nothing. */
  organizationId: number | null;
  /** Only resources whose last renewal failed. */
  failing?: boolean;
  /** Only static resources whose token expires at or before this time (epoch ms), passed ones included. */
  expiringBy?: number;
}

/** A map token whose renewal is due, as the scheduler's query finds it. */
export interface DueMapToken {
  id: number;
  environment: string;
}

export interface AuditContext {
  environment: string;
  actor: string | null;
  requestId: string;
  /** atr-partner-id, when the request sent one. */
  partnerId?: string | null;
}

export type AuditAction = 'create' | 'update' | 'delete';
export type AuditResource = 'map_token' | 'key' | 'client' | 'client_secret';

export interface AuditEvent extends AuditContext {
  action: AuditAction;
  resourceType: AuditResource;
  resourceId: string;
  at: number;
}

export interface KeyRow extends CallerRules {
  id: number;
  environment: string;
  role: Role;
  organizationId: number | null;
  description: string | null;
  keyHash: string;
  createdAt: number;
  /** When the key was last accepted (at most a minute behind, per instance); null: never. */
  lastUsedAt: number | null;
}

type NewKey = Omit<KeyRow, 'id' | 'createdAt' | 'lastUsedAt'>;

/** A key accepted at `at` (epoch milliseconds). */
export interface KeyUse {
  id: number;
  at: number;
}

export interface ClientRow extends CallerRules {
  clientId: string;
  environment: string;
  role: Role;
  organizationId: number | null;
  description: string | null;
  createdAt: number;
}

export interface ClientSecretRow {
  id: string;
  clientId: string;
  description: string | null;
  secretHash: string;
  createdAt: number;
}

export interface MapTokenStore {
  /** The row, or null when it is not in the scope. */
  get(scope: Scope, id: number): Promise<MapTokenRow | null>;
  /** The rows of `ids` that are in the scope (one query), by id; an id outside the scope is left out. */
  getMany(scope: Scope, ids: number[]): Promise<Map<number, MapTokenRow>>;
  list(scope: Scope, query: ListQuery): Promise<{ rows: MapTokenRow[]; total: number }>;
  /**
   * Applies every write in one transaction, with one audit event each, and returns the rows in order.
   * Throws NotFoundError (and stores nothing) when an update names a row that is not in the environment,
   * ConflictError when an update's row changed since its expectedVersion.
   */
  writeBatch(writes: MapTokenWrite[], audit: AuditContext): Promise<MapTokenRow[]>;
  /** Deletes the row (secret and token with it). False when it is not in the scope. */
  delete(scope: Scope, id: number, audit: AuditContext): Promise<boolean>;
  /**
   * Saves a renewed token and when it is next due (`renewAt`: its auth type's rule, which the caller knows)
   * unless the row's credentials changed since `basis` (false when they did; an admin write that changed
   * anything else does not lose the renewal), and clears any refresh failure. `forcedAt`: the renewal was
   * forced by a rejected-token report.
   */
  saveToken(basis: RenewalBasis, token: StoredToken, renewAt: number | null, forcedAt?: number): Promise<boolean>;
  /**
   * Records a failed renewal and when to try again, unless the row's credentials changed since `basis`.
   * `forcedAt`: the renewal was forced by a rejected-token report, which counts toward the 30 s window
   * even when it failed.
   */
  recordRefreshFailure(
    basis: RenewalBasis,
    failure: RefreshFailure,
    failures: number,
    retryAt: number,
    forcedAt?: number,
  ): Promise<boolean>;
  /**
   * Up to `limit` map tokens of every environment whose renewAt is at or before `now`, earliest first, in
   * one indexed query; with `usedSince`, only those read or written since then (REFRESH_AHEAD=in-use).
   */
  due(now: number, limit: number, usedSince?: number): Promise<DueMapToken[]>;
  /** How many map tokens `due` would find with no limit (the renewal backlog). */
  countDue(now: number, usedSince?: number): Promise<number>;
  /** Adds reads counted by an instance (one statement per few hundred tokens); rows gone meanwhile are skipped. */
  addUsage(deltas: UsageDelta[]): Promise<void>;
  /** How many map tokens, in every environment, have a lastRefreshError. */
  countFailing(): Promise<number>;
  /** Static map tokens of every environment that expire at or before `by` (epoch ms), passed ones included. */
  countStaticExpiring(by: number): Promise<number>;
  /**
   * Key rotation: passes every sealed value (secrets and tokens of every environment) to `reseal`, and
   * stores what it returns in place of a value it changed (unless the row changed meanwhile).
   * Returns how many values were replaced.
   */
  resealAll(reseal: (sealed: string) => string | null): Promise<number>;
}

export interface KeyStore {
  create(key: NewKey, audit: AuditContext): Promise<KeyRow>;
  findByHash(keyHash: string): Promise<KeyRow | null>;
  list(environment: string): Promise<KeyRow[]>;
  revoke(id: number, audit: Omit<AuditContext, 'environment'>): Promise<KeyRow | null>;
  /** Moves each key's lastUsedAt forward to its use (never back); a key that is gone is skipped. One statement. */
  recordUses(uses: readonly KeyUse[]): Promise<void>;
}

export interface ClientStore {
  create(client: Omit<ClientRow, 'createdAt'>, secret: Omit<ClientSecretRow, 'createdAt'>, audit: AuditContext): Promise<ClientRow>;
  get(clientId: string): Promise<ClientRow | null>;
  list(environment: string): Promise<ClientRow[]>;
  delete(clientId: string, audit: Omit<AuditContext, 'environment'>): Promise<ClientRow | null>;
  /** Conflict when the client already holds `maxLive` secrets (counted under the client's lock). */
  addSecret(secret: Omit<ClientSecretRow, 'createdAt'>, audit: AuditContext, maxLive?: number): Promise<ClientSecretRow>;
  getSecret(id: string): Promise<ClientSecretRow | null>;
  listSecrets(clientId: string): Promise<ClientSecretRow[]>;
  deleteSecret(clientId: string, id: string, audit: AuditContext): Promise<boolean>;
}

export interface Store {
  readonly kind: 'mysql' | 'memory';
  mapTokens: MapTokenStore;
  keys: KeyStore;
  clients: ClientStore;
  /** True when any environment has an active key or a client: someone can call the admin API. */
  hasCredentials(): Promise<boolean>;
  /**
   * Runs `fn` while holding a lock named `name` across every instance sharing the store
   * (MySQL GET_LOCK). `acquired` is false when the lock could not be had within `timeoutSeconds`;
   * `fn` then runs anyway, so a stuck holder delays but never blocks the caller.
   */
  withLock<T>(name: string, timeoutSeconds: number, fn: (acquired: boolean) => Promise<T>): Promise<T>;
  /** Database connections in use, idle, and requests waiting for one; null for the embedded store. */
  poolStats(): { inUse: number; idle: number; waiting: number } | null;
  /** Resolves when the store answers; rejects with StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
