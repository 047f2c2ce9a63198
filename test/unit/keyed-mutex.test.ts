import { KeyedMutex } from '../../src/stores/memory/keyed-mutex';

/** The embedded store's stand-in for GET_LOCK. */
describe('KeyedMutex', () => {
  test('a waiter that gave up and finished does not free the lock its holder still holds', async () => {
    const mutex = new KeyedMutex();
    let release!: () => void;
    const held = mutex.run('a', 0, () => new Promise<void>((resolve) => (release = resolve)));
    await expect(mutex.run('a', 0, async (acquired) => acquired)).resolves.toBe(false);
    await expect(mutex.run('a', 0, async (acquired) => acquired)).resolves.toBe(false);
    release();
    await held;
    await expect(mutex.run('a', 0, async (acquired) => acquired)).resolves.toBe(true);
  });

  test('another name is free while one is held', async () => {
    const mutex = new KeyedMutex();
    let release!: () => void;
    const held = mutex.run('a', 0, () => new Promise<void>((resolve) => (release = resolve)));
    await expect(mutex.run('b', 0, async (acquired) => acquired)).resolves.toBe(true);
    release();
    await held;
  });
});
