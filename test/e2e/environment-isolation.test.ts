import { useTwoEnvironments } from '../support/two-environments';

/** What one environment's callers can do to another's: share a read, spoil a cache entry, guess a key. */

/** While set, env-b's reads of a map token row wait for it (and say so through `onHeld`). */
let hold: { released: Promise<void>; onHeld: () => void } | undefined;

const env = useTwoEnvironments({
  wrapStore: (store) => ({
    ...store,
    mapTokens: {
      ...store.mapTokens,
      get: async (scope, id) => {
        if (hold && scope.environment === 'env-b') {
          hold.onHeld();
          await hold.released;
        }
        return store.mapTokens.get(scope, id);
      },
    },
  }),
});
afterEach(() => {
  hold = undefined;
});

it("a read from another environment never shares or spoils this environment's read of the same id", async () => {
  const created = (await env.put('env-a', [env.agol()])).body.result[0];
  expect((await env.read('env-a', created.mapTokenID)).status).toBe(200);
  // the other environment's lookup waits until released, so this environment's read comes while it is in flight
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let started!: () => void;
  const theirsInFlight = new Promise<void>((resolve) => (started = resolve));
  hold = { released, onHeld: started };
  env.h.clock.advance(6000); // past CACHE_TTL_SECONDS: this environment's next read re-checks the store
  const theirs = env.read('env-b', created.mapTokenID).then((res) => res);
  await theirsInFlight;
  // merged with theirs, this read would wait for their release (and then share their 404)
  const mine = env.read('env-a', created.mapTokenID).then((res) => res);
  let timer: NodeJS.Timeout | undefined;
  const first = await Promise.race([mine, new Promise<'waiting'>((resolve) => (timer = setTimeout(() => resolve('waiting'), 3000)))]);
  clearTimeout(timer);
  release();
  expect(first === 'waiting' ? 'waited for the other environment' : first.status).toBe(200);
  expect((await theirs).status).toBe(404);
  expect((await env.read('env-a', created.mapTokenID)).status).toBe(200);
  expect(env.setup.fake.calls).toHaveLength(1); // the create only
});

it('answers 401, like any unknown key, to a very long subscription key', async () => {
  const res = await env.read('env-a', 1, 'k'.repeat(2000));
  expect(res.status).toBe(401);
});
