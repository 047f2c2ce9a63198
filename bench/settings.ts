/** A whole-number setting of the benches from the environment (`BENCH_DURATION`, ...), checked. */
export function setting(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  return value;
}

/** One line of progress on stderr (stdout carries the report). */
export const log = (message: string) => process.stderr.write(`bench: ${message}\n`);
