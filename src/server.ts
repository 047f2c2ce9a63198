import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { config as loadDotenv } from 'dotenv';
import { createApp } from './app';
import { systemClock } from './clock';
import { type Config, ConfigError, configWarnings, loadConfig } from './config';
import { createHttpServer } from './http/http-server';
import { createLogger, type Logger } from './logger';
import { createMetrics } from './metrics';
import { compose } from './compose';
import type { Services } from './services/services';

/** How long in-flight requests may take to finish after SIGTERM before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  loadDotenv({ quiet: true });
  let config: Config;
  try {
    config = loadConfig(process.env, () => randomBytes(32));
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`map-token-proxy: cannot start: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  for (const warning of configWarnings(config)) logger.warn(warning);
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));

  const metrics = createMetrics();
  let created: Awaited<ReturnType<typeof compose>>;
  try {
    created = await compose(config, { clock: systemClock, logger, metrics });
  } catch (error) {
    process.stderr.write(`map-token-proxy: cannot start: MYSQL_URL: ${describeStartError(error)}\n`);
    process.exit(1);
  }
  const { store, services, applied } = created;
  if (applied.length) logger.info({ applied }, 'database migrations applied');

  const app = createApp({ config, services, logger, metrics });
  const server = createHttpServer(app.listener, logger);
  // the port first: a start that cannot listen must not print keys "shown once" of a process nobody reaches
  server.listen(config.port, config.host);
  try {
    await once(server, 'listening');
  } catch (error) {
    await store.close().catch(() => undefined);
    process.stderr.write(`map-token-proxy: cannot start: ${describeListenError(error, config)}\n`);
    process.exit(1);
  }
  if (store.kind === 'memory') await printLocalKeys(services, logger);
  else if (!(await store.hasCredentials())) logFirstKeyHint(logger);
  const { port } = server.address() as AddressInfo;
  logger.info(
    { port, host: config.host, store: store.kind, refreshAhead: config.refreshAhead, renewalConcurrency: config.renewalConcurrency },
    `map-token-proxy listening on http://${config.host}:${port}`,
  );
  services.scheduler?.start();
  services.usage.start();
  services.keyUsage.start();

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing requests in flight');
    const forced = setTimeout(() => {
      logger.warn('requests still in flight after the grace period; closing them');
      server.closeAllConnections();
    }, SHUTDOWN_GRACE_MS);
    forced.unref();
    server.closeIdleConnections();
    // renewals in flight finish (each bounded by UPSTREAM_TIMEOUT_MS) so that no fetched token is lost
    await Promise.all([new Promise<void>((resolve) => server.close(() => resolve())), services.scheduler?.stop()]);
    await services.drain();
    clearTimeout(forced);
    await store.close();
    logger.info('stopped');
    logger.flush();
    process.exitCode = 0;
    setImmediate(() => process.exit(0));
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/** A database with no key and no client: nobody can call the admin API yet. Says how to fix it (never a key). */
function logFirstKeyHint(logger: Logger): void {
  const command = 'npm run -s cli -- keys create --environment <atr-environment-id> --role admin';
  logger.warn(
    { command },
    `no key or client exists yet: create the first admin key with \`${command}\` (with the same MYSQL_URL; the installed program: map-token-proxy keys create ...)`,
  );
}

/** The embedded store starts empty: give the operator an admin key, a reader key and an admin client, printed once. */
async function printLocalKeys(services: Services, logger: Logger): Promise<void> {
  const admin = await services.access.createKey(
    { environment: 'local', role: 'admin', organizationId: null, description: 'generated at start' },
    'startup',
  );
  const reader = await services.access.createKey(
    { environment: 'local', role: 'reader', organizationId: null, description: 'generated at start' },
    'startup',
  );
  const demo = await services.clients.createClient(
    { environment: 'local', role: 'admin', organizationId: null, description: 'generated at start' },
    'startup',
  );
  logger.warn('MYSQL_URL is not set: using the embedded in-memory store. Data lives only as long as this process.');
  process.stdout.write(
    `${[
      '',
      '=====================================================================',
      ' map-token-proxy is running on the EMBEDDED IN-MEMORY STORE.',
      ' Everything you store is LOST when this process stops.',
      ' Set MYSQL_URL (and ENCRYPTION_KEY, ACCESS_TOKEN_SIGNING_KEY) to keep data.',
      '',
      ' Environment:  local        (send it as atr-environment-id: local)',
      ` Admin key:    ${admin.key}`,
      ` Reader key:   ${reader.key}`,
      ` Admin client: ${demo.client.clientId}   (client-credentials flow: POST /api/v1/auth/token)`,
      ` Its secret:   ${demo.secret}`,
      ' These keys and the secret are shown once.',
      '=====================================================================',
      '',
    ].join('\n')}\n`,
  );
}

/** Why the server could not listen, as the variable to change and what to do. */
function describeListenError(error: unknown, config: Config): string {
  const code = (error as NodeJS.ErrnoException).code;
  const address = `${config.host}:${config.port}`;
  if (code === 'EADDRINUSE')
    return `PORT: ${address} is already in use by another process (stop it, or set another PORT; 0 picks a free one)`;
  if (code === 'EACCES') return `PORT: listening on ${address} needs privileges this process lacks (use a port above 1023)`;
  if (code === 'EADDRNOTAVAIL') return `HOST: ${config.host} is not an address of this machine`;
  return `PORT: cannot listen on ${address} (${code ?? (error as Error).message})`;
}

function describeStartError(error: unknown): string {
  const code = (error as { code?: string }).code;
  const cause = (error as { cause?: { code?: string } }).cause?.code;
  if (error instanceof Error && error.name === 'StoreUnavailableError')
    return `the database does not answer (${cause ?? code ?? 'unreachable'})`;
  return `${code ?? ''} ${(error as Error).message ?? String(error)}`.trim();
}

main().catch((error) => {
  process.stderr.write(`map-token-proxy: cannot start: ${(error as Error).message}\n`);
  process.exit(1);
});
