import express, { Express } from 'express';
import helmet from 'helmet';
import { Config } from './config';
import { Logger } from './logger';
import { Metrics } from './metrics';
import { Services } from './services/services';
import { errorHandler, notFound } from './http/error-handler';
import { observeRequests } from './http/observability';
import { requestId } from './http/request-context';
import { buildOpenApi } from './http/openapi';
import { adminMapTokensRouter } from './http/routes/admin-map-tokens';
import { authRouter } from './http/routes/auth';
import { docsRouter } from './http/routes/docs';
import { opsRouter } from './http/routes/ops';
import { tokenReadRouter } from './http/routes/token-read';
import { SchemaValidator } from './http/schema-validator';

export interface AppDeps {
  config: Config;
  services: Services;
  logger: Logger;
  metrics: Metrics;
  validator?: SchemaValidator;
}

/** Builds the HTTP app: middleware order, routes, one error handler. Listening is server.ts's job. */
export function createApp({ config, services, logger, metrics, validator = new SchemaValidator({ maxBatch: config.maxBatch }) }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('query parser', 'simple');

  // API answers are not cached by validators: the token read is no-store, and hashing every body costs
  app.set('etag', false);

  app.use(requestId);
  app.use(observeRequests(logger, metrics));
  app.use(helmet());

  // the floor-rendering clients' hot path first, so it passes the fewest routers
  app.use('/api/v1/map-tokens', tokenReadRouter(services.mapTokens, services.access, validator, config.corsAllowedOrigins));
  app.use('/api/v1/admin/map-tokens', adminMapTokensRouter(services.mapTokens, services.access, validator, config.maxBodyBytes));
  app.use('/api/v1/auth', authRouter(services.clients, services.access, validator));
  app.use(opsRouter(services.store, metrics.registry));
  app.use(docsRouter(buildOpenApi(validator, { maxBatch: config.maxBatch })));

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
