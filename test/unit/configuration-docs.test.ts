import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Environment, loadConfig } from '../../src/config';

const root = join(__dirname, '..', '..');
const KEY = Buffer.alloc(32, 1).toString('base64');

/** Names loadConfig asks the environment for, recorded by a proxy in front of it. */
function variablesRead(env: Environment): Set<string> {
  const read = new Set<string>();
  const recording = new Proxy(env, {
    get(target, name) {
      if (typeof name === 'string') read.add(name);
      return target[name as string];
    },
  });
  loadConfig(recording, () => randomBytes(32));
  return read;
}

/** Both ways the service starts: the embedded store (keys generated) and MySQL (keys required). */
function everyVariableRead(): string[] {
  const embedded = variablesRead({});
  const mysql = variablesRead({
    MYSQL_URL: 'mysql://u:p@127.0.0.1:3306/maptokens',
    ENCRYPTION_KEY: KEY,
    ACCESS_TOKEN_SIGNING_KEY: 'x'.repeat(32),
  });
  return [...new Set([...embedded, ...mysql])].sort();
}

/** Variables named in the first column of the table in docs/configuration.md (`A` / `B` rows name two). */
function documentedInConfigurationPage(): string[] {
  const page = readFileSync(join(root, 'docs', 'configuration.md'), 'utf8');
  const names = page
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...(line.split('|')[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((match) => match[1] as string));
  return [...new Set(names)].sort();
}

/** Variables set or shown commented out (`# NAME=`) in .env.example. */
function documentedInEnvExample(): string[] {
  const example = readFileSync(join(root, '.env.example'), 'utf8');
  const names = [...example.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1] as string);
  return [...new Set(names)].sort();
}

describe('the configuration documentation', () => {
  it('reads at least the variables every deployment sets (the recording proxy sees the reads)', () => {
    expect(everyVariableRead()).toEqual(
      expect.arrayContaining(['PORT', 'MYSQL_URL', 'ENCRYPTION_KEY', 'ACCESS_TOKEN_SIGNING_KEY', 'LOG_LEVEL']),
    );
  });

  it('lists every variable the configuration code reads in docs/configuration.md', () => {
    const documented = documentedInConfigurationPage();
    expect(everyVariableRead().filter((name) => !documented.includes(name))).toEqual([]);
  });

  it('lists every variable the configuration code reads in .env.example', () => {
    const documented = documentedInEnvExample();
    expect(everyVariableRead().filter((name) => !documented.includes(name))).toEqual([]);
  });

  it('documents in docs/configuration.md only variables the configuration code reads', () => {
    const read = everyVariableRead();
    expect(documentedInConfigurationPage().filter((name) => !read.includes(name))).toEqual([]);
  });

  it('shows in .env.example only variables the configuration code reads', () => {
    const read = everyVariableRead();
    expect(documentedInEnvExample().filter((name) => !read.includes(name))).toEqual([]);
  });
});
