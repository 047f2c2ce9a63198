/** Time as epoch milliseconds. Injected everywhere expiry matters, so tests move it instead of sleeping. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
