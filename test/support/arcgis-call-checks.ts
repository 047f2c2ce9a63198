import { inspect } from 'node:util';
import type { FakeArcgisCall } from './fake-arcgis';

/** Runs a call to the ArcGIS client that must fail, and hands back what it threw. */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    return err as Error;
  }
  throw new Error('expected the call to fail, but it returned a token');
}

/** `secret` is nowhere in the error: not its message, its JSON, its stack, its cause chain or any own property. */
export function expectNoSecretIn(err: Error, secret: string): void {
  expect(err.message).not.toContain(secret);
  expect(JSON.stringify(err)).not.toContain(secret);
  expect(inspect(err, { depth: 10, showHidden: true })).not.toContain(secret);
}

/**
 * ArcGIS received exactly one call: a form-encoded POST to `path` whose body holds exactly `params`, with
 * nothing in the query string and `secret` not in the path.
 */
export function expectOneFormCall(calls: FakeArcgisCall[], path: string, params: Record<string, string>, secret: string): void {
  expect(calls).toHaveLength(1);
  const [call] = calls;
  expect(call.path).toBe(path);
  expect(call.contentType).toBe('application/x-www-form-urlencoded');
  expect(call.params).toEqual(params);
  expect(call.query).toBe('');
  expect(call.path).not.toContain(secret);
}
