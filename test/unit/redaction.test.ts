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

  it('cuts a form-encoded secret with or without its ! ( ) and quote escaped', () => {
    // encodeURIComponent leaves ! ' ( ) ~ alone, URLSearchParams escapes them
    expect(redactSecrets("x it's (mine)! y", ["it's (mine)!"])).toBe(`x ${REDACTED} y`);
    expect(redactSecrets("x it's+(mine)! y", ["it's (mine)!"])).toBe(`x ${REDACTED} y`);
    expect(redactSecrets('x it%27s+%28mine%29%21 y', ["it's (mine)!"])).toBe(`x ${REDACTED} y`);
  });

  it('cuts a longer spelling whole, not the secret it contains', () => {
    // a trailing or leading backslash: the secret as sent is a part of its JSON escape
    expect(redactSecrets('x pa\\\\ y', ['pa\\'])).toBe(`x ${REDACTED} y`);
    expect(redactSecrets('x \\\\pa y', ['\\pa'])).toBe(`x ${REDACTED} y`);
    expect(redactSecrets('x pa\\\\\\\\ y', ['pa\\'])).toBe(`x ${REDACTED} y`);
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

  it('cuts an apostrophe escaped as &#39; or &apos;, and withholds entities in capitals', () => {
    expect(redactSecrets('bad secret O&#39;Brien-pass', ["O'Brien-pass"])).toBe(`bad secret ${REDACTED}`);
    expect(redactSecrets('bad secret O&apos;Brien-pass', ["O'Brien-pass"])).toBe(`bad secret ${REDACTED}`);
    expect(redactSecrets('bad secret O&apos;Brien-pass &amp; more', ["O'Brien-pass"])).toBe(`bad secret ${REDACTED} &amp; more`);
    // no form is spelt so (entities mixed, or in capitals), but each decodes to the secret
    expect(redactSecrets('pw=p&#X26;ss&#X20;word', ['p&ss word'])).toBe(WITHHELD);
    expect(redactSecrets('pw=O&APOS;Brien &#38;co', ["O'Brien &co"])).toBe(WITHHELD);
    expect(redactSecrets('pw=x&Lt;y&#62;z&QUOT;', ['x<y>z"'])).toBe(WITHHELD);
    // a form in other letter case is still that form, cut in place
    expect(redactSecrets('pw=O&APOS;Brien &AMP;co', ["O'Brien &co"])).toBe(`pw=${REDACTED}`);
    // decoded once: &amp;lt; is the text &lt;, not <
    expect(redactSecrets('pw=a&amp;lt;b', ['a<b'])).toBe(WITHHELD);
    expect(redactSecrets('pw=a&amp;amp;lt;b', ['a<b'])).toBe('pw=a&amp;amp;lt;b');
  });

  it('withholds a secret whose other letter case is longer or shorter (ß and SS, ﬁ and FI)', () => {
    expect(redactSecrets('bad password GEHEIMSTRASSE', ['geheimstraße'])).toBe(WITHHELD);
    expect(redactSecrets('bad password geheimstrasse', ['GEHEIMSTRASSE'])).toBe(`bad password ${REDACTED}`);
    expect(redactSecrets('bad password geheimstrasse', ['geheimstraße'])).toBe(WITHHELD);
    expect(redactSecrets('bad secret FINAL-SECRET', ['ﬁnal-secret'])).toBe(WITHHELD);
    expect(redactSecrets('bad secret Final-Secret', ['ﬁnal-secret'])).toBe(WITHHELD);
    // and the other way round: the Kelvin sign is K only once lower-cased (k), never once upper-cased
    expect(redactSecrets('bad key \u212Aelvin-pass', ['kelvin-pass'])).toBe(WITHHELD);
    // either comparison, in the one view that spells the secret once decoded
    expect(redactSecrets('pw=\u212Aelvin%2Dpass', ['kelvin-pass'])).toBe(WITHHELD);
    expect(redactSecrets('pw=GEHEIMSTRA%53SE', ['geheimstraße'])).toBe(WITHHELD);
  });

  it('withholds a text that spells the secret once decoded, whichever encoding was mixed in', () => {
    // form-encoded, the slash left as sent: a '+' read as a space
    expect(redactSecrets('pw=Tr0ub4dor%263+x%2By/z', [PASSWORD])).toBe(WITHHELD);
    // a character of several UTF-8 bytes, its escapes decoded together
    expect(redactSecrets('pw=p%C3%A4ss w%c3%b6rd', ['päss wörd'])).toBe(WITHHELD);
    // JSON with an escaped slash, then URL-encoded
    expect(redactSecrets(`pw=${encodeURIComponent('Tr0ub4dor&3 x+y\\/z')}`, [PASSWORD])).toBe(WITHHELD);
    // JSON with escaped quotes and backslash, then URL-encoded
    expect(redactSecrets(`pw=${encodeURIComponent('a\\"b\\\\c d')}`, ['a"b\\c d'])).toBe(WITHHELD);
    // decimal entities beside a literal space, and named entities beside a numeric one
    expect(redactSecrets('pw=Tr0ub4dor&#38;3&#32;x+y/z', [PASSWORD])).toBe(WITHHELD);
    expect(redactSecrets('pw=x&lt;y&gt;&amp;&quot;z&#x27;', ['x<y>&"z\''])).toBe(WITHHELD);
  });

  it('says in words where a secret was cut and why a text was withheld', () => {
    expect(redactSecrets(`before ${PASSWORD} after`, [PASSWORD])).toBe('before [redacted] after');
    expect(redactSecrets('pw=Tr0ub4dor%263 x+y/z', [PASSWORD])).toBe('[withheld: it quoted a credential]');
  });

  it('leaves text alone that holds no form of a secret, including malformed escapes', () => {
    const text = 'Invalid client_secret %E0%A4%A 100% \\u12 &#99999999; &#9999999; &amp; done';
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
