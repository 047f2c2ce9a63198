import pino, { Logger } from 'pino';

export type { Logger };

/**
 * Redaction is configuration, not discipline: these paths are censored in every log object. Secrets are
 * also never put in log objects in the first place. Exact paths, no wildcards: a wildcard path makes
 * pino walk every object it logs, on every line.
 */
export const REDACT_PATHS = [
  'authToken',
  'client_secret',
  'password',
  'secret',
  'token',
  'access_token',
  'key',
  'headers.authorization',
  'headers["atr-subscription-key"]',
  'req.headers.authorization',
  'req.headers["atr-subscription-key"]',
  'req.headers.cookie',
  'body.authToken',
  'body.client_secret',
  'body.password',
];

/**
 * Standard output, written in batches: lines gather until LOG_BUFFER_BYTES are waiting (one write for a
 * dozen request lines under load instead of one per line), and at most LOG_FLUSH_MS after a line in a
 * quiet moment. pino writes out what is left when the process exits; server.ts flushes after its
 * start-up lines so that they show at once.
 */
const LOG_BUFFER_BYTES = 4096;
const LOG_FLUSH_MS = 1000;

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'map-token-proxy' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ sync: false, minLength: LOG_BUFFER_BYTES, periodicFlush: LOG_FLUSH_MS }),
  );
}
