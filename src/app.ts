import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Config } from './config';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { Services } from './services/services';
import { errorHandler, notFound } from './http/error-handler';
import { hotTokenRead } from './http/hot-token-read';
import { observeRequests, requestObserver } from './http/observability';
import { requestId } from './http/request-context';
import { buildOpenApi } from './http/openapi';
import { ADMIN_MAP_TOKENS_MOUNT, adminMapTokensRouter } from './http/routes/admin-map-tokens';
import { AUTH_MOUNT, authRouter } from './http/routes/auth';
import { docsRouter } from './http/routes/docs';
import { opsRouter } from './http/routes/ops';
import { TOKEN_READ_MOUNT, tokenReadCors, tokenReadRouter } from './http/routes/token-read';
import { SchemaValidator } from './http/schema-validator';

export interface AppDeps {
  config: Config;
  services: Services;
  logger: Logger;
  metrics: Metrics;
  validator?: SchemaValidator;
}

/** Builds the HTTP app: middleware order, routes, one error handler. Listening is server.ts's job. */
export function createApp({
  config,
  services,
  logger,
  metrics,
  validator = new SchemaValidator({ maxBatch: config.maxBatch }),
}: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('query parser', 'simple');

  // API answers are not cached by validators: the token read is no-store, and hashing every body costs
  app.set('etag', false);

  const observe = requestObserver(logger, metrics);
  const securityHeaders = helmet();
  app.use(requestId);
  app.use(observeRequests(observe));
  app.use(securityHeaders);

  // the floor-rendering clients' hot path first, so it passes the fewest routers
  app.use(TOKEN_READ_MOUNT, tokenReadRouter(services.mapTokens, services.access, validator, config.corsAllowedOrigins));
  app.use(ADMIN_MAP_TOKENS_MOUNT, adminMapTokensRouter(services.mapTokens, services.access, validator, config.maxBodyBytes));
  app.use(AUTH_MOUNT, authRouter(services.clients, services.access, validator));
  app.use(opsRouter(services.store, metrics.registry));
  app.use(docsRouter(buildOpenApi(validator, { maxBatch: config.maxBatch })));

  app.use(notFound);
  app.use(errorHandler(logger));

  const { mapTokens, access } = services;
  const cors = tokenReadCors(config.corsAllowedOrigins);
  inFront(
    app,
    hotTokenRead({ mapTokens, access, validator, logger, observe, securityHeaders, cors, allowedOrigins: config.corsAllowedOrigins }),
  );
  return app;
}

/**
 * Puts `first` in front of Express: a request it takes never reaches Express's router. app(req, res),
 * which app.listen() and supertest call for every request, hands each one to app.handle.
 */
function inFront(app: Express, first: (req: IncomingMessage, res: ServerResponse) => boolean): void {
  const internals = app as unknown as { handle(req: IncomingMessage, res: ServerResponse, done?: unknown): void };
  const handle = internals.handle.bind(app);
  internals.handle = (req, res, done) => {
    if (!first(req, res)) handle(req, res, done);
  };
}
