import type { CallerRules, Role } from '../domain';

export const MAX_ALLOWED_ORIGINS = 50;
const MAX_ORIGIN_LENGTH = 2048;
export const MAX_RATE_LIMIT = 1_000_000;

/** A rule that cannot be kept as given; `field` names which one, so that the command line can name its option. */
export class CallerRulesError extends Error {
  constructor(
    readonly field: keyof CallerRules,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Checks what a key or client is to be bound to. An origin is a scheme (http or https), a host and an
 * optional port, nothing else (no path, not even "/", no query, no user): kept as browsers send it in
 * Origin (lower case, without the scheme's default port). No origin means any; no limit means none.
 */
export function callerRules(allowedOrigins: readonly string[], rateLimit: string | number | undefined): CallerRules {
  if (allowedOrigins.length > MAX_ALLOWED_ORIGINS)
    throw new CallerRulesError('allowedOrigins', `at most ${MAX_ALLOWED_ORIGINS} origins may be given, not ${allowedOrigins.length}`);
  const origins = [...new Set(allowedOrigins.map(originOf))];
  return { allowedOrigins: origins.length ? origins : null, rateLimit: rateLimit === undefined ? null : limitOf(rateLimit) };
}

function originOf(text: string): string {
  if (text.length > MAX_ORIGIN_LENGTH)
    throw new CallerRulesError('allowedOrigins', `an origin may have at most ${MAX_ORIGIN_LENGTH} characters, not ${text.length}`);
  const problem = `"${text}" is not an origin: give a scheme, a host and an optional port, as in https://maps.example.com or http://localhost:8080 (no path, not even /)`;
  if (!/^https?:\/\/[^/?#@\s]+$/i.test(text)) throw new CallerRulesError('allowedOrigins', problem);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CallerRulesError('allowedOrigins', problem);
  }
  if (url.hostname === '') throw new CallerRulesError('allowedOrigins', problem);
  return url.origin;
}

function limitOf(value: string | number): number {
  const limit = typeof value === 'number' ? value : /^\d{1,7}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RATE_LIMIT)
    throw new CallerRulesError(
      'rateLimit',
      `the limit must be a whole number of reads a minute from 1 to ${MAX_RATE_LIMIT}, not "${value}"`,
    );
  return limit;
}

/**
 * Whether a request comes from one of `allowed`: its Origin header, or without one the origin of its
 * Referer (a same-origin GET carries no Origin). Neither, or one that is not a URL: no.
 */
export function fromAllowedOrigin(allowed: readonly string[], headers: { origin?: string; referer?: string }): boolean {
  const origin = headers.origin;
  if (origin !== undefined) return allowed.includes(origin);
  const referer = headers.referer;
  if (referer === undefined || !URL.canParse(referer)) return false;
  return allowed.includes(new URL(referer).origin);
}

/** A new key or client: who it is for, and optionally its origin binding and read limit (caller-rules.ts checks them). */
export interface NewCaller extends Partial<CallerRules> {
  environment: string;
  role: Role;
  organizationId: number | null;
  description: string | null;
}

/** The `rules` of a principal of a key or client row: absent when it has neither an origin binding nor a limit. */
export function rulesOf(row: CallerRules): { rules?: CallerRules } {
  if (row.allowedOrigins === null && row.rateLimit === null) return {};
  return {
    rules: Object.freeze({ allowedOrigins: row.allowedOrigins && Object.freeze([...row.allowedOrigins]), rateLimit: row.rateLimit }),
  };
}
