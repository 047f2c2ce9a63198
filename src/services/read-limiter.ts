import { LRUCache } from 'lru-cache';
import type { Clock } from '../clock';

/** One read, in bucket units: a bucket refills `limit` units a millisecond, so every count stays a whole number. */
const READ = 60_000;

interface Bucket {
  units: number;
  at: number;
}

/**
 * Read limits (SPEC "Reader keys live in browsers"): `limit` reads a minute per caller on this instance,
 * as a token bucket that holds `limit` reads and refills `limit` a minute, so a page may read its burst at
 * once and then one every 60/limit seconds. Buckets live in this process only, one per key or client
 * that has a limit, bounded like the key cache: a bucket pushed out is full again, which can only grant
 * more reads than the limit when more callers are limited at once than the cache holds.
 */
export class ReadLimiter {
  private readonly buckets: LRUCache<string, Bucket>;

  constructor(
    private readonly clock: Clock,
    maxEntries: number,
  ) {
    this.buckets = new LRUCache({ max: maxEntries });
  }

  /** Takes one read of `caller`'s bucket: 0 when granted, else the whole seconds (at least 1) until one is. */
  take(caller: string, limit: number): number {
    const now = this.clock.now();
    const capacity = limit * READ;
    let bucket = this.buckets.get(caller);
    if (!bucket) {
      bucket = { units: capacity, at: now };
      this.buckets.set(caller, bucket);
    } else {
      bucket.units = Math.min(capacity, bucket.units + Math.max(0, now - bucket.at) * limit);
      bucket.at = now;
    }
    if (bucket.units >= READ) {
      bucket.units -= READ;
      return 0;
    }
    const waitMs = Math.ceil((READ - bucket.units) / limit);
    return Math.max(1, Math.ceil(waitMs / 1000));
  }
}
