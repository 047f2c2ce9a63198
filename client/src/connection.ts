import type { ConnectOptions, MapTokenConnection, TokenAnswer } from './map-token-client';
import { MapTokenError } from './map-token-client';
import { OneTimer, type TimerRuntime } from './one-timer';
import { refreshDelay, retryPause, timeLeftMs } from './renewal-timing';
import { SdkBinding } from './sdk-binding';
import { type FetchFunction, TokenEndpoint } from './token-endpoint';

/** Everything a connection takes from its surroundings: the page's, or a test's fake clock and fetch. */
export interface Runtime extends TimerRuntime {
  fetch: FetchFunction;
  /** A number in [0, 1). */
  random(): number;
}

export function browserRuntime(): Runtime {
  return {
    now: () => Date.now(),
    setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
    clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
    fetch: (url, init) => globalThis.fetch(url, init),
    random: () => Math.random(),
  };
}

/**
 * A connection: one timer that fetches the token before it expires (and retries with a growing pause after
 * a failure, keeping the current answer), listeners, and the SDK binding. Calls that overlap (a scheduled
 * fetch and a report) never let an older answer replace a newer one.
 */
export function createConnection(options: ConnectOptions, runtime: Runtime): MapTokenConnection {
  checkOptions(options);
  const endpoint = new TokenEndpoint(options, runtime.fetch);
  const timer = new OneTimer(runtime);
  const listeners = new Set<(answer: TokenAnswer) => void>();
  const aborter = new AbortController();
  const reports = new Map<string, Promise<TokenAnswer>>();
  let current: TokenAnswer | null = null;
  let failures = 0;
  let started = 0;
  let accepted = 0;
  let stopped = false;

  let settleReady: { resolve(answer: TokenAnswer): void; reject(error: Error): void };
  const ready = new Promise<TokenAnswer>((resolve, reject) => {
    settleReady = { resolve, reject };
  });
  // a page that never awaits `ready` gets no unhandled rejection from stop()
  ready.catch(() => undefined);

  const accept = (answer: TokenAnswer, call: number): void => {
    if (stopped || call < accepted) return;
    accepted = call;
    failures = 0;
    const changed = current?.token !== answer.token || current.expires !== answer.expires;
    current = answer;
    if (changed) binding?.register(answer);
    const delay = refreshDelay(timeLeftMs(answer), runtime.random());
    if (delay === null) timer.clear();
    else timer.after(delay, fetchNow);
    settleReady.resolve(answer);
    if (changed) for (const listener of [...listeners]) listener(answer);
  };

  const fail = (error: unknown): void => {
    if (stopped) return;
    const problem = error instanceof MapTokenError ? error : new MapTokenError(String(error), null);
    options.onError?.(problem);
    if (current === null && problem.final) {
      settleReady.reject(problem);
      connection.stop();
      return;
    }
    failures += 1;
    timer.after(retryPause(failures, problem.retryAfterMs, runtime.random()), fetchNow);
  };

  const fetchNow = (): void => {
    const call = ++started;
    endpoint.read(aborter.signal).then((answer) => accept(answer, call), fail);
  };

  const report = (token: string): Promise<TokenAnswer> => {
    if (stopped) return Promise.reject(new MapTokenError('The connection was stopped', null));
    // one POST however many requests fail with the same token at once
    let pending = reports.get(token);
    if (!pending) {
      const call = ++started;
      pending = endpoint.report(token, aborter.signal).then((answer) => {
        accept(answer, call);
        return current ?? answer;
      });
      reports.set(token, pending);
      const forget = () => reports.delete(token);
      pending.then(forget, forget);
    }
    return pending;
  };

  const binding =
    options.identityManager || options.esriConfig
      ? new SdkBinding({ current: () => current, report, now: () => runtime.now() }, options.identityManager, options.esriConfig)
      : null;

  const connection: MapTokenConnection = {
    ready,
    get current() {
      return current;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    reportRejected: report,
    stop() {
      if (stopped) return;
      stopped = true;
      timer.clear();
      aborter.abort();
      listeners.clear();
      binding?.detach();
      settleReady.reject(new MapTokenError('The connection was stopped', null));
    },
  };
  fetchNow();
  return connection;
}

function checkOptions(options: ConnectOptions): void {
  if (!options || typeof options.service !== 'string' || !/^https?:\/\//i.test(options.service)) {
    throw new TypeError('connectMapToken: `service` must be the http(s) address of map-token-proxy');
  }
  if (!Number.isInteger(options.mapTokenID) || options.mapTokenID < 1) {
    throw new TypeError('connectMapToken: `mapTokenID` must be a positive integer');
  }
  if (typeof options.environment !== 'string' || options.environment === '') {
    throw new TypeError('connectMapToken: `environment` must be the atr-environment-id');
  }
  if ((options.key === undefined) === (options.authorization === undefined)) {
    throw new TypeError('connectMapToken: give exactly one of `key` and `authorization`');
  }
}
