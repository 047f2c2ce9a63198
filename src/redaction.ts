/**
 * The one place that decides what of a secret may show: the log's censored fields, and secrets cut out
 * of text that quotes an upstream (ArcGIS's error messages, which reach answers, `lastRefreshError`,
 * its row and the logs).
 */

/**
 * Log fields censored in every log object (pino's redact). Secrets are also never put in log objects in
 * the first place. Exact paths, no wildcards: a wildcard path makes pino walk every object it logs, on
 * every line.
 */
export const LOG_REDACT_PATHS = [
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

export const REDACTED = '[redacted]';
/** What is left of a text that still spells a secret in a way no form below matched (mixed encodings). */
export const WITHHELD = '[withheld: it quoted a credential]';

/**
 * `text` without any form of any of `secrets`: as sent, URL- or form-encoded (`%26`, `+`, hex in either
 * case), JSON-escaped (`\u0026`, `\/`), HTML-escaped (named or numeric), in any letter case. An upstream that echoes a request
 * quotes it in one of these. Should a secret still be readable after decoding what is left (an encoding
 * half applied, or applied twice), the whole text is withheld: no message is worth a password.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret === '') continue;
    for (const form of formsOf(secret)) out = out.replace(new RegExp(escapeRegExp(form), 'gi'), REDACTED);
  }
  // both cases: a letter whose other case is longer (ß and SS, ﬁ and FI) matches only one way round
  const views = decodedViews(out);
  const lower = views.map((view) => view.toLowerCase());
  const upper = views.map((view) => view.toUpperCase());
  const leaked = secrets.some(
    (secret) =>
      secret !== '' &&
      (lower.some((view) => view.includes(secret.toLowerCase())) || upper.some((view) => view.includes(secret.toUpperCase()))),
  );
  return leaked ? WITHHELD : out;
}

/** The spellings of `secret` that encoders produce, longest first (so that a form is cut whole, not a part of it). */
function formsOf(secret: string): string[] {
  const uri = encodeURIComponent(secret);
  const json = JSON.stringify(secret).slice(1, -1);
  const forms = [
    secret,
    uri,
    // application/x-www-form-urlencoded: a space is '+', and URLSearchParams escapes a little more than encodeURIComponent
    uri.replace(/%20/g, '+'),
    new URLSearchParams({ s: secret }).toString().slice(2),
    encodeURI(secret),
    json,
    // JSON inside JSON: a quoted body quoted again
    JSON.stringify(json).slice(1, -1),
    json.replace(/\//g, '\\/'),
    [...secret].map((c) => (/[A-Za-z0-9]/.test(c) ? c : unicodeEscape(c))).join(''),
    secret.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`),
    ...[undefined, '&#39;', '&apos;'].map((apostrophe) => htmlEscaped(secret, apostrophe)),
  ];
  return [...new Set(forms)].sort((a, b) => b.length - a.length);
}

/** HTML's named escapes, the apostrophe left alone (older escapers), numeric (escape-html, lodash, Go) or named (XML). */
function htmlEscaped(secret: string, apostrophe: string | undefined): string {
  const named = secret.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return apostrophe === undefined ? named : named.replace(/'/g, apostrophe);
}

function unicodeEscape(c: string): string {
  // a character outside the BMP is two UTF-16 units, each escaped
  return [...Array(c.length).keys()].map((i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');
}

/** The text as it reads once decoded, one and two layers deep, each way an encoder may have gone. */
function decodedViews(text: string): string[] {
  const views = new Set([text]);
  // Stryker disable next-line EqualityOperator: a third layer only adds views; two is the documented limit (docs/choices.md)
  for (let depth = 0; depth < 2; depth += 1) {
    for (const view of [...views]) {
      views.add(percentDecoded(view));
      views.add(percentDecoded(view.replace(/\+/g, ' ')));
      views.add(jsonUnescaped(view));
      views.add(htmlUnescaped(view));
    }
  }
  return [...views];
}

function percentDecoded(text: string): string {
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

function jsonUnescaped(text: string): string {
  return text
    .replace(/\\u([0-9A-Fa-f]{4})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
    .replace(/\\(["\\/])/g, '$1');
}

function htmlUnescaped(text: string): string {
  return (
    text
      .replace(/&#(\d{1,7});/g, (_m, code: string) => String.fromCodePoint(Number(code) % 0x110000))
      .replace(/&#x([0-9A-Fa-f]{1,6});/gi, (_m, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16) % 0x110000))
      // one pass, so that `&amp;lt;` reads `&lt;`; HTML takes &AMP; and its kind in capitals too
      .replace(/&(quot|lt|gt|apos|amp);/gi, (_m, name: string) => NAMED_ENTITIES[name.toLowerCase()] as string)
  );
}

const NAMED_ENTITIES: Record<string, string> = { quot: '"', lt: '<', gt: '>', apos: "'", amp: '&' };

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
