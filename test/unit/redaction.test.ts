import { LOG_REDACT_PATHS, REDACTED, redactSecrets, WITHHELD } from '../../src/redaction';

const PASSWORD = 'Tr0ub4dor&3 x+y/z';

describe('redactSecrets', () => {
  it.each([
    ['as sent', PASSWORD],
    ['URL-encoded', 'Tr0ub4dor%263%20x%2By%2Fz'],
    ['URL-encoded, lower-case hex', 'Tr0ub4dor%263%20x%2by%2fz'],
    ['form-encoded', 'Tr0ub4dor%263+x%2By%2Fz'],
    ['form-encoded, lower-case hex', 'Tr0ub4dor%263+x%2by%2fz'],
    ['encodeURI', 'Tr0ub4dor&3%20x+y/z'],
    ['JSON with an escaped slash', 'Tr0ub4dor&3 x+y\\/z'],
    ['JSON \\u escapes', 'Tr0ub4dor\\u00263\\u0020x\\u002by\\u002fz'],
    ['JSON \\u escapes, upper-case hex', 'Tr0ub4dor\\u00263\\u0020x\\u002BY\\u002Fz'],
    ['HTML entities', 'Tr0ub4dor&amp;3 x+y/z'],
    ['numeric HTML entities', 'Tr0ub4dor&#38;3 x+y/z'],
    ['upper case', PASSWORD.toUpperCase()],
    ['lower case', PASSWORD.toLowerCase()],
  ])('cuts the secret %s out and keeps the rest of the text', (_name, form) => {
    expect(redactSecrets(`before ${form} after`, [PASSWORD])).toBe(`before ${REDACTED} after`);
  });

  it('cuts every occurrence of every secret', () => {
    expect(redactSecrets(`a ${PASSWORD} b ${PASSWORD.toUpperCase()} c other-one d`, [PASSWORD, 'other-one'])).toBe(
      `a ${REDACTED} b ${REDACTED} c ${REDACTED} d`,
    );
  });

  it('cuts a JSON body quoted inside JSON (escaped twice), whole', () => {
    const secret = 'a"b\\c';
    const twice = JSON.stringify(JSON.stringify(secret).slice(1, -1)).slice(1, -1);
    expect(redactSecrets(`x ${twice} y`, [secret])).toBe(`x ${REDACTED} y`);
    expect(redactSecrets(`x ${JSON.stringify(secret).slice(1, -1)} y`, [secret])).toBe(`x ${REDACTED} y`);
  });

  it('escapes a character outside the BMP as its two UTF-16 units', () => {
    expect(redactSecrets('x pa\\ud83d\\udd11ss y', ['pa🔑ss'])).toBe(`x ${REDACTED} y`);
  });

  it('withholds a text that still spells the secret once decoded (encodings mixed, or applied twice)', () => {
    // half URL-encoded, half not: no single form matches it
    expect(redactSecrets('pw=Tr0ub4dor%263 x+y/z', [PASSWORD])).toBe(WITHHELD);
    // URL-encoded twice
    expect(redactSecrets(`pw=${encodeURIComponent(encodeURIComponent(PASSWORD))}`, [PASSWORD])).toBe(WITHHELD);
    // JSON-escaped, then URL-encoded
    expect(redactSecrets(`pw=${encodeURIComponent('Tr0ub4dor\\u00263 x+y/z')}`, [PASSWORD])).toBe(WITHHELD);
    // HTML hex entities
    expect(redactSecrets('pw=Tr0ub4dor&#x26;3 x+y/z', [PASSWORD])).toBe(WITHHELD);
    expect(redactSecrets('pw=&lt;Tr0ub4dor&amp;3 x+y/z&gt;', ['<Tr0ub4dor&3 x+y/z>'])).toBe(`pw=${REDACTED}`);
    expect(redactSecrets('pw=&quot;q&quot;', ['"q"'])).toBe(`pw=${REDACTED}`);
    expect(redactSecrets('pw=&#34;q&#34;', ['"q"'])).toBe(`pw=${REDACTED}`);
  });

  it('leaves text alone that holds no form of a secret, including malformed escapes', () => {
    const text = 'Invalid client_secret %E0%A4%A 100% \\u12 &#99999999; &amp; done';
    expect(redactSecrets(text, [PASSWORD, ''])).toBe(text);
    expect(redactSecrets(text, [])).toBe(text);
  });

  it('an empty secret redacts nothing', () => {
    expect(redactSecrets('anything at all', [''])).toBe('anything at all');
  });

  it('the log censors the credential fields and headers', () => {
    expect(LOG_REDACT_PATHS).toEqual(
      expect.arrayContaining([
        'authToken',
        'client_secret',
        'password',
        'token',
        'headers.authorization',
        'req.headers["atr-subscription-key"]',
      ]),
    );
  });
});
