import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock';
import { hashSecret, newClientId, newClientSecret, newSecretId, sameHash } from '../crypto/secrets';
import { BadRequestError, NotFoundError, UnauthorizedError } from '../errors';
import type { ClientRow, ClientSecretRow, Store } from '../stores/store';
import type { Principal, RequestContext, Role } from '../domain';
import { type NewCaller, rulesOf } from './caller-rules';
import { TtlCache } from './ttl-cache';

const ISSUER = 'map-token-proxy';
const AUDIENCE = 'map-token-proxy/api/v1';
const DUMMY_HASH = hashSecret('no such client');

/** Live secrets a client may hold at once: enough for any rotation, not a store that grows without end. */
export const MAX_SECRETS_PER_CLIENT = 10;

/** An RFC 6749 section 5.2 error of the token endpoint. */
export class OAuthError extends Error {
  constructor(
    readonly status: 400 | 401,
    readonly error: 'invalid_request' | 'invalid_client' | 'unsupported_grant_type',
    readonly description: string,
  ) {
    super(description);
  }
}

export interface AccessTokenAnswer {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: Role;
}

/**
 * The client-credentials flow for admin scripts: clients log in with a secret, get a short-lived
 * HS256 JWT, and create and delete their own secrets (rotation). A token names the secret it was
 * issued for and stops working within CACHE_TTL_SECONDS of that secret's deletion.
 */
export class ClientCredentialsService {
  private readonly secrets: TtlCache<string, ClientSecretRow | null>;
  private readonly clients: TtlCache<string, ClientRow | null>;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly signingKey: Uint8Array,
    private readonly options: { accessTokenTtlSeconds: number; cacheTtlMs: number; cacheMaxEntries: number },
  ) {
    this.secrets = new TtlCache(clock, options.cacheTtlMs, options.cacheMaxEntries, (id) => store.clients.getSecret(id));
    this.clients = new TtlCache(clock, options.cacheTtlMs, options.cacheMaxEntries, (id) => store.clients.get(id));
  }

  async createClient(input: NewCaller, actor: string) {
    const clientId = newClientId();
    const secret = newClientSecret();
    const secretId = newSecretId();
    const client = await this.store.clients.create(
      { clientId, allowedOrigins: null, rateLimit: null, ...input },
      { id: secretId, clientId, description: 'initial secret', secretHash: hashSecret(secret) },
      { environment: input.environment, actor, requestId: randomUUID() },
    );
    return { client, secret, secretId };
  }

  /** Checks a client id and secret; answers an access token or throws OAuthError. */
  listClients(environment: string): Promise<ClientRow[]> {
    return this.store.clients.list(environment);
  }

  /** Deletes a client and its secrets; null when there is no such client. */
  async deleteClient(clientId: string, actor: string): Promise<ClientRow | null> {
    const row = await this.store.clients.delete(clientId, { actor, requestId: randomUUID() });
    this.clients.delete(clientId);
    return row;
  }

  async issueToken(clientId: string, clientSecret: string, environment: string | null): Promise<AccessTokenAnswer> {
    const client = await this.store.clients.get(clientId);
    const secrets = client ? await this.store.clients.listSecrets(clientId) : [];
    const hash = hashSecret(clientSecret);
    let matched: ClientSecretRow | undefined;
    for (const candidate of secrets) if (sameHash(candidate.secretHash, hash)) matched = candidate;
    if (!client) sameHash(DUMMY_HASH, hash); // the same work whether or not the client exists
    if (!client || !matched || (environment !== null && environment !== client.environment)) {
      throw new OAuthError(401, 'invalid_client', 'Client authentication failed: unknown client, wrong secret, or another environment.');
    }
    const now = Math.floor(this.clock.now() / 1000);
    const accessToken = await new SignJWT({ env: client.environment, role: client.role, org: client.organizationId, sid: matched.id })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(client.clientId)
      .setIssuedAt(now)
      .setExpirationTime(now + this.options.accessTokenTtlSeconds)
      .setJti(randomUUID())
      .sign(this.signingKey);
    return { access_token: accessToken, token_type: 'Bearer', expires_in: this.options.accessTokenTtlSeconds, scope: client.role };
  }

  async verifyAccessToken(environment: string, token: string): Promise<Principal> {
    let claims: Record<string, unknown>;
    try {
      const verified = await jwtVerify(token, this.signingKey, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: AUDIENCE,
        currentDate: new Date(this.clock.now()),
      });
      claims = verified.payload as Record<string, unknown>;
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired)
        throw new UnauthorizedError('The access token has expired; log in again at /api/v1/auth/token.');
      throw new UnauthorizedError('The access token is not valid.');
    }
    const { sub, env, role, org, sid } = claims;
    if (typeof sub !== 'string' || typeof sid !== 'string' || (role !== 'admin' && role !== 'reader'))
      throw new UnauthorizedError('The access token is not valid.');
    if (env !== environment) throw new UnauthorizedError();
    const secret = await this.secrets.get(sid);
    const client = await this.clients.get(sub);
    if (!secret || secret.clientId !== sub || !client)
      throw new UnauthorizedError('The secret this access token was issued for has been deleted.');
    // the client's origin binding and read limit hold for every access token it is issued
    return {
      kind: 'client',
      id: sub,
      environment,
      role,
      organizationId: typeof org === 'number' ? org : null,
      secretId: sid,
      ...rulesOf(client),
    };
  }

  async createSecret(principal: Principal, ctx: RequestContext, description: string | null, customerId: string | undefined) {
    const clientId = this.ownClient(principal);
    checkCustomer(customerId, ctx.environment);
    const secret = newClientSecret();
    const row = await this.store.clients.addSecret(
      { id: newSecretId(), clientId, description, secretHash: hashSecret(secret) },
      { environment: ctx.environment, actor: ctx.actor ?? clientId, requestId: ctx.requestId, partnerId: ctx.partnerId },
      MAX_SECRETS_PER_CLIENT,
    );
    return { id: row.id, description: row.description, createdAt: new Date(row.createdAt).toISOString(), secret };
  }

  async listSecrets(principal: Principal) {
    const clientId = this.ownClient(principal);
    const rows = await this.store.clients.listSecrets(clientId);
    return rows.map((row) => ({
      id: row.id,
      description: row.description,
      client_id: row.clientId,
      createdAt: new Date(row.createdAt).toISOString(),
    }));
  }

  async deleteSecret(principal: Principal, ctx: RequestContext, id: string, customerId: string | undefined): Promise<void> {
    const clientId = this.ownClient(principal);
    checkCustomer(customerId, ctx.environment);
    const deleted = await this.store.clients.deleteSecret(clientId, id, {
      environment: ctx.environment,
      actor: ctx.actor ?? clientId,
      requestId: ctx.requestId,
      partnerId: ctx.partnerId,
    });
    this.secrets.delete(id);
    if (!deleted) throw new NotFoundError(`Secret ${id} was not found among your client's secrets.`);
  }

  private ownClient(principal: Principal): string {
    if (principal.kind !== 'client')
      throw new UnauthorizedError('Secret management needs a bearer access token of the client whose secrets these are.');
    return principal.id;
  }
}

function checkCustomer(customerId: string | undefined, environment: string): void {
  if (customerId !== undefined && customerId !== environment) {
    throw new BadRequestError('customerId must equal atr-environment-id.', [
      { path: 'query/customerId', message: 'must equal atr-environment-id' },
    ]);
  }
}
