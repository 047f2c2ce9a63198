import { LRUCache } from 'lru-cache';
import type { Clock } from '../clock';
import { StoreUnavailableError } from '../errors';

interface Entry<V> {
  value: V;
  checkedAt: number;
}

/**
 * A bounded read-through cache for things that change rarely (keys, secrets): a value is re-read from
 * the store at most every `ttlMs`; concurrent misses share one read; when the store is unreachable, a
 * value already known keeps being used (so a MySQL outage does not lock out known callers).
 * Misses (null) are remembered in a bounded LRU of their own, so that however many unknown keys are
 * tried they only push out other misses, never a value that was found.
 *
 * Why not lru-cache's own `fetch()` with a `fetchMethod`, `ttl` and `allowStaleOnFetchRejection`: it would
 * not be shorter once it kept these rules. Its TTL means something else at the edges: `ttl: 0` (allowed by
 * CACHE_TTL_SECONDS=0, "always re-read") means "never expires" there, an entry is fresh while its age is
 * `<= ttl` (here `< ttlMs`), and an entry stamped at time 0 (a fake clock's start) never goes stale. It
 * cannot hold null (a key known not to exist), it reads time through `perf.now()` cached for `ttlResolution`,
 * and it serves stale on any rejection, where only an unreachable store may be outlived. Each needs an
 * option or a wrapper; the class below states the rules directly.
 */
export class TtlCache<K extends NonNullable<unknown>, V extends NonNullable<unknown> | null> {
  private readonly entries: LRUCache<K, Entry<V>>;
  private readonly misses: LRUCache<K, Entry<V>>;
  private readonly inFlight = new Map<K, Promise<V>>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    max: number,
    private readonly load: (key: K) => Promise<V>,
  ) {
    this.entries = new LRUCache({ max });
    this.misses = new LRUCache({ max });
  }

  async get(key: K): Promise<V> {
    const entry = this.entries.get(key) ?? this.misses.get(key);
    if (entry && this.clock.now() - entry.checkedAt < this.ttlMs) return entry.value;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.reload(key, entry).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  delete(key: K): void {
    this.entries.delete(key);
    this.misses.delete(key);
  }

  private async reload(key: K, entry: Entry<V> | undefined): Promise<V> {
    try {
      const value = await this.load(key);
      const fresh = { value, checkedAt: this.clock.now() };
      if (value === null) {
        this.entries.delete(key);
        this.misses.set(key, fresh);
      } else {
        this.misses.delete(key);
        this.entries.set(key, fresh);
      }
      return value;
    } catch (error) {
      if (error instanceof StoreUnavailableError && entry && entry.value !== null) return entry.value;
      throw error;
    }
  }
}
