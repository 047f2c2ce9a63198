import type { Config } from './config';
import { createServices, type ServiceDeps, type Services } from './services/services';
import { createStore } from './stores/create-store';
import type { Store } from './stores/store';

export interface Composition {
  store: Store;
  services: Services;
  /** Database migrations applied on the way (empty for the embedded store or an up-to-date schema). */
  applied: string[];
}

/**
 * The one composition root of the server and the command line: config -> store (pending migrations
 * applied first, under a lock) -> services. Each caller decides what to do with the result and its errors.
 */
export async function compose(config: Config, deps: ServiceDeps & { connectionLimit?: number }): Promise<Composition> {
  const { store, applied } = await createStore(config, deps.clock, { connectionLimit: deps.connectionLimit });
  return { store, applied, services: createServices(config, store, deps) };
}
