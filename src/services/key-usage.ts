import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Store } from '../stores/store';
import { WriteBehind } from './write-behind';

/** How often the uses of the last interval are written: at most one write per key per instance per interval. */
const KEY_USAGE_INTERVAL_MS = 60_000;

/**
 * Each key's lastUsedAt, kept off the read path: a request only notes the time in memory, and the
 * uses noted meanwhile are written once a minute, one statement for every key used (see WriteBehind).
 */
export class KeyUsage extends WriteBehind<number> {
  constructor(
    store: Store,
    private readonly clock: Clock,
    logger: Logger,
    metrics: Metrics,
  ) {
    super(
      {
        what: 'key usage',
        intervalMs: KEY_USAGE_INTERVAL_MS,
        merge: Math.max,
        write: (batch) => store.keys.recordUses([...batch].map(([id, at]) => ({ id, at }))),
      },
      logger,
      metrics,
    );
  }

  /** Notes that key `id` was accepted now. */
  note(id: number): void {
    this.add(id, this.clock.now());
  }
}
