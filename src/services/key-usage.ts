import { WriteBehind, type WriteBehindParts } from './write-behind';

/**
 * How often the uses of the last interval are written: at most one write per key per instance per interval.
 * SPEC allows lastUsedAt to be a minute behind; half leaves room for a slow write (as for token usage).
 */
const KEY_USAGE_INTERVAL_MS = 30_000;

/**
 * Each key's lastUsedAt, kept off the read path: a request only notes the time in memory, and the
 * uses noted meanwhile are written every 30 s, one statement for every key used (see WriteBehind).
 */
export class KeyUsage extends WriteBehind<number> {
  constructor(private readonly parts: WriteBehindParts) {
    super(
      {
        what: 'key usage',
        intervalMs: KEY_USAGE_INTERVAL_MS,
        merge: Math.max,
        write: (batch) => parts.store.keys.recordUses([...batch].map(([id, at]) => ({ id, at }))),
      },
      parts,
    );
  }

  /** Notes that key `id` was accepted now. */
  note(id: number): void {
    this.add(id, this.parts.clock.now());
  }
}
