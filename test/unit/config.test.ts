import { ConfigError, configWarnings, loadConfig } from '../../src/config';

const KEY = Buffer.alloc(32, 1).toString('base64');
const mysql = { MYSQL_URL: 'mysql://u:p@127.0.0.1:3306/maptokens', ENCRYPTION_KEY: KEY, ACCESS_TOKEN_SIGNING_KEY: 'x'.repeat(32) };
const generate = () => Buffer.alloc(32, 2);

function failure(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env, generate);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it.each([
    ['0.5', 0.5],
    ['.5', 0.5],
    ['2.', 2],
    ['8784', 8784],
  ])('takes REFRESH_AHEAD_IDLE_HOURS=%s (fractions allowed, up to a year)', (value, hours) => {
    expect(loadConfig({ REFRESH_AHEAD_IDLE_HOURS: value }, generate).refreshAheadIdleHours).toBe(hours);
  });

  it.each(['in-use', 'all', 'on-read'])('takes REFRESH_AHEAD=%s', (mode) => {
    expect(loadConfig({ REFRESH_AHEAD: mode }, generate).refreshAhead).toBe(mode);
  });

  it('has the documented defaults and runs on the embedded store with generated keys when MYSQL_URL is unset', () => {
    const config = loadConfig({}, generate);
    expect(config).toMatchObject({
      refreshAhead: 'in-use',
      refreshAheadIdleHours: 24,
      renewalConcurrency: 16,
      port: 8080,
      host: '0.0.0.0',
      mysqlUrl: null,
      upstreamTimeoutMs: 10000,
      cacheTtlSeconds: 5,
      cacheMaxEntries: 10000,
      corsAllowedOrigins: [],
      maxBatch: 100,
      maxBodyBytes: 1048576,
      accessTokenTtlSeconds: 3600,
      logLevel: 'info',
      trustProxy: false,
      staticTokenWarnDays: 30,
    });
    expect(config.encryptionKeys).toEqual([generate()]);
    expect(config.authUrlAllowlist.allows('https://www.arcgis.com/sharing/rest/oauth2/token/')).toBe(true);
    expect(config.authUrlAllowlist.allows('https://myorg.maps.arcgis.com/sharing/rest/oauth2/token')).toBe(true);
    expect(config.authUrlAllowlist.allows('http://www.arcgis.com/sharing/rest/oauth2/token/')).toBe(false);
  });

  it('reads every variable', () => {
    const config = loadConfig(
      {
        ...mysql,
        PORT: '0',
        HOST: '127.0.0.1',
        ENCRYPTION_KEY: `${KEY}, ${Buffer.alloc(32, 3).toString('base64')}`,
        AUTH_URL_ALLOWLIST: 'http://127.0.0.1:4567',
        UPSTREAM_TIMEOUT_MS: '500',
        CACHE_TTL_SECONDS: '0',
        CACHE_MAX_ENTRIES: '10',
        CORS_ALLOWED_ORIGINS: 'https://maps.example.com, http://localhost:3000',
        MAX_BATCH: '7',
        MAX_BODY_BYTES: '2048',
        ACCESS_TOKEN_TTL_SECONDS: '600',
        LOG_LEVEL: 'debug',
        TRUST_PROXY: '1',
        REFRESH_AHEAD: 'on-read',
        STATIC_TOKEN_WARN_DAYS: '0',
        REFRESH_AHEAD_IDLE_HOURS: '0.25',
        RENEWAL_CONCURRENCY: '64',
      },
      generate,
    );
    expect(config).toMatchObject({
      refreshAhead: 'on-read',
      refreshAheadIdleHours: 0.25,
      renewalConcurrency: 64,
      port: 0,
      host: '127.0.0.1',
      upstreamTimeoutMs: 500,
      cacheTtlSeconds: 0,
      cacheMaxEntries: 10,
      maxBatch: 7,
      maxBodyBytes: 2048,
      accessTokenTtlSeconds: 600,
      logLevel: 'debug',
      trustProxy: 1,
      staticTokenWarnDays: 0,
    });
    expect(config.encryptionKeys).toHaveLength(2);
    expect(config.corsAllowedOrigins).toEqual(['https://maps.example.com', 'http://localhost:3000']);
  });

  it.each([
    [{ PORT: '80a' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ UPSTREAM_TIMEOUT_MS: '-1' }, 'UPSTREAM_TIMEOUT_MS'],
    [{ CACHE_TTL_SECONDS: '5s' }, 'CACHE_TTL_SECONDS'],
    [{ MAX_BATCH: '0' }, 'MAX_BATCH'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
    [{ REFRESH_AHEAD: 'always' }, 'REFRESH_AHEAD'],
    [{ REFRESH_AHEAD_IDLE_HOURS: '0' }, 'REFRESH_AHEAD_IDLE_HOURS'],
    [{ REFRESH_AHEAD_IDLE_HOURS: '-1' }, 'REFRESH_AHEAD_IDLE_HOURS'],
    [{ REFRESH_AHEAD_IDLE_HOURS: '24h' }, 'REFRESH_AHEAD_IDLE_HOURS'],
    [{ REFRESH_AHEAD_IDLE_HOURS: '1e3' }, 'REFRESH_AHEAD_IDLE_HOURS'],
    [{ REFRESH_AHEAD_IDLE_HOURS: '9000' }, 'REFRESH_AHEAD_IDLE_HOURS'],
    [{ RENEWAL_CONCURRENCY: '0' }, 'RENEWAL_CONCURRENCY'],
    [{ RENEWAL_CONCURRENCY: '1.5' }, 'RENEWAL_CONCURRENCY'],
    [{ RENEWAL_CONCURRENCY: '1001' }, 'RENEWAL_CONCURRENCY'],
    [{ MYSQL_URL: 'postgres://x/y' }, 'MYSQL_URL'],
    [{ MYSQL_URL: 'mysql://127.0.0.1:3306' }, 'MYSQL_URL'],
    [{ MYSQL_URL: 'mysql://127.0.0.1/db' }, 'ENCRYPTION_KEY'],
    [{ ...mysql, ENCRYPTION_KEY: 'c2hvcnQ=' }, 'ENCRYPTION_KEY'],
    [{ ...mysql, ENCRYPTION_KEY: `${KEY},not base64!` }, 'ENCRYPTION_KEY'],
    [{ ...mysql, ACCESS_TOKEN_SIGNING_KEY: undefined as unknown as string }, 'ACCESS_TOKEN_SIGNING_KEY'],
    [{ ...mysql, ACCESS_TOKEN_SIGNING_KEY: 'short' }, 'ACCESS_TOKEN_SIGNING_KEY'],
    [{ AUTH_URL_ALLOWLIST: 'https://www.arcgis.com/path' }, 'AUTH_URL_ALLOWLIST'],
    [{ CORS_ALLOWED_ORIGINS: '*' }, 'CORS_ALLOWED_ORIGINS'],
    [{ CORS_ALLOWED_ORIGINS: 'https://a.example.com/app' }, 'CORS_ALLOWED_ORIGINS'],
    [{ TRUST_PROXY: 'yes please' }, 'TRUST_PROXY'],
    [{ STATIC_TOKEN_WARN_DAYS: '-1' }, 'STATIC_TOKEN_WARN_DAYS'],
    [{ STATIC_TOKEN_WARN_DAYS: '2.5' }, 'STATIC_TOKEN_WARN_DAYS'],
    [{ STATIC_TOKEN_WARN_DAYS: '3651' }, 'STATIC_TOKEN_WARN_DAYS'],
  ])('refuses %p naming %s in one line', (env, variable) => {
    const error = failure(env);
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
    expect(error.message).not.toContain('\n');
    // a secret value is named, never quoted
    for (const secret of [(env as Record<string, string>).ENCRYPTION_KEY, (env as Record<string, string>).ACCESS_TOKEN_SIGNING_KEY])
      if (secret) expect(error.message).not.toContain(secret);
  });
});

describe('warnings at start', () => {
  it.each<[string | undefined, number]>([
    ['true', 1],
    ['0.0.0.0/0', 1],
    ['10.0.0.0/8, ::/0', 1],
    [undefined, 0],
    ['false', 0],
    ['1', 0],
    ['10.0.0.0/8', 0],
  ])('TRUST_PROXY=%s gives %d warning(s)', (value, count) => {
    const warnings = configWarnings(loadConfig(value === undefined ? {} : { TRUST_PROXY: value }, generate));
    expect(warnings).toHaveLength(count);
    for (const warning of warnings) {
      expect(warning).toMatch(new RegExp(`^TRUST_PROXY=${value} trusts every X-Forwarded-For hop`));
      expect(warning).toContain('login rate limit');
    }
  });
});
