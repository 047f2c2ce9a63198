/** When the next fetch is due: pure functions of the answer, the failures so far, and a random number in [0, 1). */

/** The longest delay setTimeout keeps: a longer one wraps and fires at once (browsers store it in 32 bits). */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

const MAX_MARGIN_MS = 5 * 60_000;
const MARGIN_SHARE = 0.2;
const JITTER_SHARE = 0.1;
/** A token that arrives (nearly) expired is not fetched again in a tight loop. */
const MIN_REFRESH_DELAY_MS = 1_000;
const MIN_RETRY_MS = 1_000;
const MAX_RETRY_MS = 60_000;

/**
 * How long after an answer arrived the next fetch is due: at expiry minus a margin of min(5 minutes, 20% of
 * the time left), minus a random 0-10% of that margin (pages loaded together spread their fetches).
 * null: the token does not expire, and nothing is due.
 */
export function refreshDelay(timeLeftMs: number | null, random: number): number | null {
  if (timeLeftMs === null) return null;
  const margin = Math.min(MAX_MARGIN_MS, MARGIN_SHARE * timeLeftMs);
  const delay = timeLeftMs - margin - random * JITTER_SHARE * margin;
  return Math.max(MIN_REFRESH_DELAY_MS, Math.round(delay));
}

/**
 * The pause after the n-th failed fetch in a row: doubling from 1 s up to 60 s, each a random 50-100% of its
 * step (clients that failed together do not retry together), never under 1 s, and never before Retry-After.
 */
export function retryPause(failures: number, retryAfterMs: number | null, random: number): number {
  const step = Math.min(MAX_RETRY_MS, MIN_RETRY_MS * 2 ** Math.max(0, failures - 1));
  const pause = Math.max(MIN_RETRY_MS, Math.round(step * (0.5 + random / 2)));
  return retryAfterMs === null ? pause : Math.max(pause, retryAfterMs);
}

/**
 * The time the token of an answer had left when it arrived, from expires_in (seconds, rounded down by the
 * service): relative, so a page whose clock is off still renews on time. null: no expiry.
 */
export function timeLeftMs(answer: { expires: number | null; expires_in: number | null }): number | null {
  if (answer.expires === null) return null;
  return answer.expires_in === null ? null : answer.expires_in * 1000;
}
