import pino, { Logger } from 'pino';

export type { Logger };

/**
 * Redaction is configuration, not discipline: these paths are censored wherever they appear in a
 * log object. Secrets are also never put in log objects in the first place.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["atr-subscription-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'authToken',
  'client_secret',
  'secret',
  'token',
  'access_token',
  'key',
  '*.authToken',
  '*.client_secret',
  '*.secret',
  '*.token',
  '*.access_token',
  '*.key',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'map-token-proxy' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ sync: false }),
  );
}
