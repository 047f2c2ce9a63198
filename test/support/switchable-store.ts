import { StoreUnavailableError } from '../../src/errors';
import type { MapTokenStore, Store } from '../../src/stores/store';

/**
 * The embedded store behind a switch: while `down` is set, the calls the token broker makes fail as a
 * MySQL store fails when the server is unreachable (StoreUnavailableError). `failSaves` makes saving a
 * renewed token fail with another error. `gets` counts row reads.
 */
export interface SwitchableStore extends Store {
  down: boolean;
  failSaves: Error | null;
  gets: number;
}

export function switchable(inner: Store): SwitchableStore {
  const mapTokens: MapTokenStore = {
    ...inner.mapTokens,
    get: async (environment, id) => {
      store.gets += 1;
      unavailableWhenDown();
      return inner.mapTokens.get(environment, id);
    },
    saveToken: async (...args) => {
      unavailableWhenDown();
      if (store.failSaves) throw store.failSaves;
      return inner.mapTokens.saveToken(...args);
    },
    recordRefreshFailure: async (...args) => {
      unavailableWhenDown();
      return inner.mapTokens.recordRefreshFailure(...args);
    },
  };
  const store: SwitchableStore = {
    ...inner,
    mapTokens,
    down: false,
    failSaves: null,
    gets: 0,
    withLock: async (name, timeoutSeconds, fn) => {
      unavailableWhenDown();
      return inner.withLock(name, timeoutSeconds, fn);
    },
  };
  function unavailableWhenDown(): void {
    if (store.down) throw new StoreUnavailableError();
  }
  return store;
}
