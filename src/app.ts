import express, { Express } from 'express';
import helmet from 'helmet';
import { Config } from './config';
import { Logger } from './logger';
import { Metrics } from './metrics';
import { Services } from './services/services';
import { errorHandler, notFound } from './http/error-handler';
import { httpMetrics, requestLogger } from './http/observability';
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

  app.use(requestId);
  app.use(requestLogger(logger));
  app.use(httpMetrics(metrics));
  app.use(helmet());

  app.use(opsRouter(services.store, metrics.registry));
  app.use(docsRouter(buildOpenApi(validator, { maxBatch: config.maxBatch })));
  app.use('/api/v1/auth', authRouter(services.clients, services.access, validator));
  app.use('/api/v1/map-tokens', tokenReadRouter(services.mapTokens, services.access, validator, config.corsAllowedOrigins));
  app.use('/api/v1/admin/map-tokens', adminMapTokensRouter(services.mapTokens, services.access, validator, config.maxBodyBytes));

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
