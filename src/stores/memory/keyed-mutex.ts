/** An in-process stand-in for MySQL's GET_LOCK: one holder per name, waiters give up after a timeout. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(name: string, timeoutMs: number, fn: (acquired: boolean) => Promise<T>): Promise<T> {
    const previous = this.tails.get(name) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(name, tail);
    let timer: NodeJS.Timeout | undefined;
    const acquired = await Promise.race([
      previous.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    try {
      return await fn(acquired);
    } finally {
      release();
      // forget the name once everyone queued before us has let go too: a waiter that gave up may finish
      // while the holder it gave up on still holds the lock
      void tail.then(() => {
        if (this.tails.get(name) === tail) this.tails.delete(name);
      });
    }
  }
}
