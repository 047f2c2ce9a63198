import { AuthUrlAllowlist } from './arcgis/auth-url-allowlist';
import { isPlaceholder } from './placeholder-secrets';

export type Environment = Record<string, string | undefined>;

/** Everything the service reads from its environment, parsed and checked once at start. */
export interface Config {
  port: number;
  host: string;
  /** null: the embedded in-memory store. */
  mysqlUrl: string | null;
  /** The first key encrypts; every key decrypts. */
  encryptionKeys: Buffer[];
  accessTokenSigningKey: Uint8Array;
  /** True when keys were generated for the embedded store (no MYSQL_URL). */
  authUrlAllowlist: AuthUrlAllowlist;
  upstreamTimeoutMs: number;
  cacheTtlSeconds: number;
  cacheMaxEntries: number;
  corsAllowedOrigins: string[];
  maxBatch: number;
  maxBodyBytes: number;
  accessTokenTtlSeconds: number;
  logLevel: string;
  /**
   * in-use: a scheduler renews at its refresh point every ArcGIS token read or written within
   * refreshAheadIdleHours; all: every stored one; on-read: only a read past the refresh point renews.
   */
  refreshAhead: 'in-use' | 'all' | 'on-read';
  /** REFRESH_AHEAD=in-use: how long after its last read or write a token still counts as in use. */
  refreshAheadIdleHours: number;
  /** Renewals the scheduler keeps in flight at once, per instance. */
  renewalConcurrency: number;
  /** Static tokens expiring within this many days are listed by expiring=true and counted by a gauge. */
  staticTokenWarnDays: number;
  /** Express "trust proxy": false, a hop count, or a comma-separated list of addresses/subnets. */
  trustProxy: boolean | number | string;
}

/** A start-up problem with one variable; the message is the one line printed before exit 1. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
/** Where the examples a deployment must replace are published. */
const PUBLISHED_WHERE = 'map-token-proxy (docker-compose.yml, .env.example, docs)';
const DEFAULT_ALLOWLIST = 'https://www.arcgis.com,https://*.arcgis.com';

export function loadConfig(env: Environment, randomKey: () => Buffer): Config {
  const mysqlUrl = optionalMysqlUrl(env);
  const ephemeral = mysqlUrl === null;
  return {
    port: integer(env, 'PORT', 8080, 0, 65535),
    host: text(env, 'HOST', '0.0.0.0'),
    mysqlUrl,
    encryptionKeys: encryptionKeys(env, ephemeral ? randomKey : null),
    accessTokenSigningKey: signingKey(env, ephemeral ? randomKey : null),
    authUrlAllowlist: allowlist(env),
    upstreamTimeoutMs: integer(env, 'UPSTREAM_TIMEOUT_MS', 10000, 100, 120000),
    cacheTtlSeconds: integer(env, 'CACHE_TTL_SECONDS', 5, 0, 3600),
    cacheMaxEntries: integer(env, 'CACHE_MAX_ENTRIES', 10000, 1, 10_000_000),
    corsAllowedOrigins: origins(env, 'CORS_ALLOWED_ORIGINS'),
    maxBatch: integer(env, 'MAX_BATCH', 100, 1, 10000),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 1048576, 1024, 100 * 1048576),
    accessTokenTtlSeconds: integer(env, 'ACCESS_TOKEN_TTL_SECONDS', 3600, 60, 86400),
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', LOG_LEVELS),
    refreshAhead: oneOf(env, 'REFRESH_AHEAD', 'in-use', ['in-use', 'all', 'on-read']) as Config['refreshAhead'],
    refreshAheadIdleHours: positiveNumber(env, 'REFRESH_AHEAD_IDLE_HOURS', 24, 24 * 366),
    renewalConcurrency: integer(env, 'RENEWAL_CONCURRENCY', 16, 1, 1000),
    staticTokenWarnDays: integer(env, 'STATIC_TOKEN_WARN_DAYS', 30, 0, 3650),
    trustProxy: trustProxy(env),
  };
}

/** Unset and empty both mean "use the default"; anything else must parse exactly. */
function raw(env: Environment, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function text(env: Environment, name: string, fallback: string): string {
  return raw(env, name) ?? fallback;
}

function integer(env: Environment, name: string, fallback: number, min: number, max: number): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new ConfigError(name, `must be a whole number, got "${value}"`);
  const parsed = Number(value);
  if (parsed < min || parsed > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return parsed;
}

/** A number above 0 and at most `max`, fractions allowed (e.g. 0.5 for half an hour). */
function positiveNumber(env: Environment, name: string, fallback: number, max: number): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!/^(\d+\.?\d*|\.\d+)$/.test(value)) throw new ConfigError(name, `must be a positive number (e.g. 24 or 0.5), got "${value}"`);
  const parsed = Number(value);
  if (parsed <= 0 || parsed > max) throw new ConfigError(name, `must be above 0 and at most ${max}, got ${value}`);
  return parsed;
}

function oneOf(env: Environment, name: string, fallback: string, allowed: string[]): string {
  const value = raw(env, name) ?? fallback;
  if (!allowed.includes(value)) throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${value}"`);
  return value;
}

function optionalMysqlUrl(env: Environment): string | null {
  const value = raw(env, 'MYSQL_URL');
  if (value === undefined) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('MYSQL_URL', 'is not a URL; expected mysql://user:password@host:3306/database');
  }
  if (url.protocol !== 'mysql:') throw new ConfigError('MYSQL_URL', 'must start with mysql://');
  if (url.pathname.length <= 1) throw new ConfigError('MYSQL_URL', 'must name a database, e.g. mysql://user@host:3306/maptokens');
  if (url.password !== '' && isPlaceholder('MYSQL_URL', safeDecode(url.password))) {
    throw new ConfigError('MYSQL_URL', `its password is the example published with ${PUBLISHED_WHERE}; set the database's real password`);
  }
  return value;
}

function encryptionKeys(env: Environment, generate: (() => Buffer) | null): Buffer[] {
  const value = raw(env, 'ENCRYPTION_KEY');
  if (value === undefined) {
    if (generate) return [generate()];
    throw new ConfigError('ENCRYPTION_KEY', 'is required with MYSQL_URL (base64 of 32 random bytes: openssl rand -base64 32)');
  }
  return value.split(',').map((part, index) => {
    const trimmed = part.trim();
    const key = Buffer.from(trimmed, 'base64');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || key.length !== 32) {
      throw new ConfigError('ENCRYPTION_KEY', `key ${index + 1} is not base64 of exactly 32 bytes`);
    }
    if (isPlaceholder('ENCRYPTION_KEY', trimmed, key.toString('latin1'))) {
      throw new ConfigError(
        'ENCRYPTION_KEY',
        `key ${index + 1} is the example published with ${PUBLISHED_WHERE}; generate one (openssl rand -base64 32)`,
      );
    }
    return key;
  });
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function signingKey(env: Environment, generate: (() => Buffer) | null): Uint8Array {
  const value = raw(env, 'ACCESS_TOKEN_SIGNING_KEY');
  if (value === undefined) {
    if (generate) return generate();
    throw new ConfigError('ACCESS_TOKEN_SIGNING_KEY', 'is required with MYSQL_URL (at least 32 characters, the same on every instance)');
  }
  if (value.length < 32) throw new ConfigError('ACCESS_TOKEN_SIGNING_KEY', 'must be at least 32 characters long');
  if (isPlaceholder('ACCESS_TOKEN_SIGNING_KEY', value)) {
    throw new ConfigError(
      'ACCESS_TOKEN_SIGNING_KEY',
      `is the example published with ${PUBLISHED_WHERE}; generate one (openssl rand -base64 48)`,
    );
  }
  return new TextEncoder().encode(value);
}

function allowlist(env: Environment): AuthUrlAllowlist {
  try {
    return AuthUrlAllowlist.parse(raw(env, 'AUTH_URL_ALLOWLIST') ?? DEFAULT_ALLOWLIST);
  } catch (error) {
    throw new ConfigError('AUTH_URL_ALLOWLIST', (error as Error).message);
  }
}

function origins(env: Environment, name: string): string[] {
  const value = raw(env, name);
  if (value === undefined) return [];
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      let url: URL | undefined;
      try {
        url = new URL(entry);
      } catch {
        url = undefined;
      }
      if (!url || !/^https?:$/.test(url.protocol) || url.origin !== entry.replace(/\/$/, '')) {
        throw new ConfigError(name, `"${entry}" is not an origin like https://maps.example.com (no wildcard, no path)`);
      }
      return url.origin;
    });
}

/**
 * What a configuration that starts may still get wrong, one line each, for the start log. Not refused:
 * a service behind a proxy that sets X-Forwarded-For from scratch may want `true`.
 */
export function configWarnings(config: Pick<Config, 'trustProxy'>): string[] {
  const warnings: string[] = [];
  const value = config.trustProxy;
  const everyAddress = typeof value === 'string' && value.split(',').some((entry) => /\/0$/.test(entry.trim()));
  if (value === true || everyAddress) {
    warnings.push(
      `TRUST_PROXY=${value} trusts every X-Forwarded-For hop, so a caller that sends its own header chooses the address the login rate limit counts: set the hop count or the subnet of your load balancer instead`,
    );
  }
  return warnings;
}

function trustProxy(env: Environment): boolean | number | string {
  const value = raw(env, 'TRUST_PROXY');
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  if (!/^[0-9A-Fa-f.:/,\s]+$|^(loopback|linklocal|uniquelocal)(,\s*(loopback|linklocal|uniquelocal))*$/.test(value)) {
    throw new ConfigError('TRUST_PROXY', `must be false, true, a hop count, or addresses/subnets (e.g. 10.0.0.0/8), got "${value}"`);
  }
  return value;
}
