import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';

/**
 * Every secret value the repository ships as an example (compose file, .env.example, README, docs/) stops
 * the start with one line naming its variable. The values are found by scanning those files, so an
 * example added to them later is caught here until the service refuses it too.
 */

const ROOT = join(__dirname, '..', '..');
const SHIPPED = [
  'docker-compose.yml',
  '.env.example',
  'README.md',
  ...readdirSync(join(ROOT, 'docs')).map((name) => join('docs', name)),
].filter((name) => /\.(md|yml|example)$/.test(name));

const VALID = {
  MYSQL_URL: 'mysql://service:kT9vQ2xZ7wLm4Rp8@127.0.0.1:3306/maptokens',
  ENCRYPTION_KEY: Buffer.from('0123456789abcdefghijklmnopqrstuv').toString('base64'),
  ACCESS_TOKEN_SIGNING_KEY: 'f3Kq9ZpX2mVt7Lw4Rb8Nc1Hy6Js0Ge5D',
};
type Variable = keyof typeof VALID;

/** `VARIABLE: value` and `VARIABLE=value` as compose files, env files and shell examples write them. */
function assignments(text: string, variable: Variable): string[] {
  const pattern = new RegExp(`\\b${variable}\\b[ \\t]*[:=][ \\t]*([^\\s\`'"|]+)`, 'g');
  return [...text.matchAll(pattern)].map((match) => match[1] ?? '');
}

/** Every example value of every secret variable in the shipped files. */
function shippedValues(): { file: string; variable: Variable; value: string }[] {
  const found: { file: string; variable: Variable; value: string }[] = [];
  for (const file of SHIPPED) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const variable of ['ENCRYPTION_KEY', 'ACCESS_TOKEN_SIGNING_KEY'] as const) {
      for (const value of assignments(text, variable)) found.push({ file, variable, value });
    }
    // a MYSQL_URL is a secret by its password, wherever a mysql:// URL is written
    for (const [url] of text.matchAll(/mysql:\/\/[^\s`'"|)<>]+/g)) found.push({ file, variable: 'MYSQL_URL', value: url });
  }
  return found;
}

function refusal(variable: Variable, value: string): string | null {
  try {
    loadConfig({ ...VALID, [variable]: value }, () => Buffer.alloc(32, 3));
    return null;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message;
  }
}

describe('secret values shipped as examples', () => {
  const values = shippedValues();

  it('are found in the shipped files (the scan reads what an operator copies)', () => {
    expect(SHIPPED).toEqual(expect.arrayContaining(['docker-compose.yml', '.env.example', 'README.md', join('docs', 'configuration.md')]));
    const composeKey = values.find((v) => v.file === 'docker-compose.yml' && v.variable === 'ENCRYPTION_KEY' && v.value.endsWith('='));
    expect(Buffer.from(composeKey?.value ?? '', 'base64')).toHaveLength(32);
    expect(values.filter((v) => v.variable === 'MYSQL_URL' && /:[^/@]+@/.test(v.value)).length).toBeGreaterThanOrEqual(2);
    expect(values.some((v) => v.variable === 'ACCESS_TOKEN_SIGNING_KEY' && v.value.length >= 32)).toBe(true);
  });

  it('the valid configuration the checks below start from is accepted', () => {
    expect(refusal('MYSQL_URL', VALID.MYSQL_URL)).toBeNull();
  });

  it.each(shippedValues().map((v) => [v.file, v.variable, v.value] as const))(
    '%s: %s=%s stops the start naming the variable',
    (_file, variable, value) => {
      const message = refusal(variable, value);
      // a password-less URL (the tests' server) has no secret to publish
      if (variable === 'MYSQL_URL' && new URL(value).password === '') return;
      expect(message).toMatch(new RegExp(`^${variable}: `));
    },
  );

  it.each([
    ['ENCRYPTION_KEY', Buffer.from('replace-me-with-32-random-bytes!').toString('base64')],
    ['ENCRYPTION_KEY', `${VALID.ENCRYPTION_KEY},UkVQTEFDRS1NRS1SRVBMQUNFLU1FLVJFUExBQ0UtTUU=`],
    ['ACCESS_TOKEN_SIGNING_KEY', 'Change-Me-to-32-or-more-characters-please'],
    ['MYSQL_URL', 'mysql://u:REPLACE_ME@db:3306/maptokens'],
    ['MYSQL_URL', 'mysql://u:change%2Dme@db:3306/maptokens'],
  ] as const)('a %s of the same kind (%s) is refused too', (variable, value) => {
    expect(refusal(variable, value)).toMatch(new RegExp(`^${variable}: .*example`));
  });
});
