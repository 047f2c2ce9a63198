import type { UsageDelta } from '../stores/store';
import { WriteBehind, type WriteBehindParts } from './write-behind';

/** Usage is written at least this often: SPEC allows it to be a minute behind; half leaves room for a slow write. */
const USAGE_FLUSH_INTERVAL_MS = 30_000;

/**
 * Counts token reads per map token in memory and writes them in batches (see WriteBehind): a read never
 * waits for, or adds, a MySQL write, and after an outage the counts kept are added by the next write.
 */
export class UsageRecorder extends WriteBehind<Omit<UsageDelta, 'id'>> {
  constructor(private readonly parts: WriteBehindParts) {
    super(
      {
        what: 'token usage',
        intervalMs: USAGE_FLUSH_INTERVAL_MS,
        merge: (earlier, later) => {
          earlier.reads += later.reads;
          earlier.lastReadAt = Math.max(earlier.lastReadAt, later.lastReadAt);
          return earlier;
        },
        write: (batch) => parts.store.mapTokens.addUsage([...batch].map(([id, counted]) => ({ id, ...counted }))),
      },
      parts,
    );
  }

  /** One token read of map token `id`, now. */
  record(id: number): void {
    this.add(id, { reads: 1, lastReadAt: this.parts.clock.now() });
  }
}
