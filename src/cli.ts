#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { config as loadDotenv } from 'dotenv';
import { systemClock } from './clock';
import { compose } from './compose';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { createMetrics } from './metrics';
import type { Services } from './services/services';
import { migrate } from './stores/mysql/migrate';
import type { CallerRules } from './domain';
import { CallerRulesError, callerRules, MAX_ALLOWED_ORIGINS, MAX_RATE_LIMIT, type NewCaller } from './services/caller-rules';

const USAGE = `usage: map-token-proxy <command> [--json]
  migrate
  reencrypt            re-seal every stored secret and token with the first ENCRYPTION_KEY
  keys create --environment E --role admin|reader [--organization N] [--description D]
              [--allowed-origin O]... [--rate-limit N]
  keys list --environment E
  keys revoke --id ID
  clients create --environment E --role admin|reader [--organization N] [--description D]
              [--allowed-origin O]... [--rate-limit N]
  clients list --environment E
  clients delete --id CLIENT_ID
--allowed-origin O   accept the key (or the client's access tokens) only from pages of origin O
                     (scheme://host[:port], no path; repeat for more, at most ${MAX_ALLOWED_ORIGINS})
--rate-limit N       at most N token reads a minute on each instance (1 to ${MAX_RATE_LIMIT.toLocaleString('en')})
Reads MYSQL_URL (and the rest of the service's configuration) from the environment or .env.`;

/** A mistake in the command line: printed as one line with the usage, exit code 2. */
class UsageError extends Error {}

/** A well-formed command about something that does not exist: one line, exit code 1. */
class NotFoundError extends Error {}

const ACTOR = 'cli';

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean', default: false },
      environment: { type: 'string' },
      role: { type: 'string' },
      organization: { type: 'string' },
      description: { type: 'string' },
      'allowed-origin': { type: 'string', multiple: true },
      'rate-limit': { type: 'string' },
      id: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals.length === 0) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  loadDotenv({ quiet: true });
  const config = loadConfig(process.env, () => randomBytes(32));
  if (config.mysqlUrl === null)
    throw new ConfigError('MYSQL_URL', 'is required by the command line (the embedded store lives only inside a running server)');
  const command = positionals.join(' ');
  const print = (json: unknown, text: string): void => {
    process.stdout.write(`${values.json ? JSON.stringify(json) : text}\n`);
  };

  if (command === 'migrate') {
    const applied = await migrate(config.mysqlUrl);
    return print({ applied }, applied.length ? `applied: ${applied.join(', ')}` : 'nothing to apply: the schema is up to date');
  }

  // the server's graph; a fresh database works at once: pending migrations first, as the server does at start (same lock)
  const { store, services, applied } = await compose(config, {
    clock: systemClock,
    logger: createLogger('silent'),
    metrics: createMetrics(),
    connectionLimit: 2,
  });
  if (applied.length) process.stderr.write(`map-token-proxy: applied database migrations ${applied.join(', ')}\n`);
  try {
    await run(command, values, services, print);
  } finally {
    await store.close();
  }
}

type Values = {
  environment?: string;
  role?: string;
  organization?: string;
  description?: string;
  'allowed-origin'?: string[];
  'rate-limit'?: string;
  id?: string;
};
type Print = (json: unknown, text: string) => void;

async function run(command: string, values: Values, { access, clients, keyRotation }: Services, print: Print): Promise<void> {
  switch (command) {
    case 'reencrypt': {
      const resealed = await keyRotation.reencryptAll();
      return print({ resealed }, `re-sealed ${resealed} value(s) with the first ENCRYPTION_KEY`);
    }
    case 'keys create': {
      const input = identity(values);
      const { row, key } = await access.createKey(input, ACTOR);
      return print(
        { id: row.id, key, environment: row.environment, role: row.role, organization_ID: row.organizationId, ...rulesJson(row) },
        `key ${row.id} (${row.role}, environment ${row.environment}${row.organizationId ? `, organization ${row.organizationId}` : ''}${rulesText(row)}):\n${key}\nShown once: store it now.`,
      );
    }
    case 'keys list': {
      const rows = await access.listKeys(environment(values));
      const keys = rows.map((row) => ({
        id: row.id,
        ...listedJson(row),
        lastUsedAt: row.lastUsedAt === null ? null : new Date(row.lastUsedAt).toISOString(),
      }));
      const header = 'id\trole\torganization\tcreatedAt\tlastUsedAt\trateLimit\tallowedOrigins\tdescription';
      const line = (k: (typeof keys)[number]) =>
        [
          k.id,
          k.role,
          k.organization_ID ?? '-',
          k.createdAt,
          k.lastUsedAt ?? 'never',
          k.rateLimit ?? '-',
          k.allowedOrigins?.join(',') ?? '*',
          k.description ?? '',
        ].join('\t');
      return print(keys, keys.length ? [header, ...keys.map(line)].join('\n') : 'no keys');
    }
    case 'keys revoke': {
      const id = values.id !== undefined && /^\d{1,10}$/.test(values.id) ? Number(values.id) : NaN;
      if (!Number.isSafeInteger(id) || id < 1) throw new UsageError('--id must be a key id (a positive whole number)');
      const row = await access.revokeKey(id, ACTOR);
      if (!row) throw new NotFoundError(`no active key with id ${id}`);
      return print({ revoked: id }, `revoked key ${id}`);
    }
    case 'clients create': {
      const { client, secret, secretId } = await clients.createClient(identity(values), ACTOR);
      return print(
        {
          client_id: client.clientId,
          client_secret: secret,
          secret_id: secretId,
          environment: client.environment,
          role: client.role,
          organization_ID: client.organizationId,
          ...rulesJson(client),
        },
        `client_id:     ${client.clientId}\nclient_secret: ${secret}\nsecret id:     ${secretId}${rulesText(client)}\nThe secret is shown once: store it now.`,
      );
    }
    case 'clients list': {
      const rows = await clients.listClients(environment(values));
      const list = rows.map((row) => ({ client_id: row.clientId, ...listedJson(row) }));
      return print(
        list,
        list.map((c) => `${c.client_id}\t${c.role}\t${c.organization_ID ?? '-'}\t${c.createdAt}\t${c.description ?? ''}`).join('\n') ||
          'no clients',
      );
    }
    case 'clients delete': {
      if (!values.id) throw new UsageError('--id CLIENT_ID is required');
      const row = await clients.deleteClient(values.id, ACTOR);
      if (!row) throw new NotFoundError(`no client ${values.id}`);
      return print({ deleted: values.id }, `deleted client ${values.id} and its secrets`);
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

function environment(values: Values): string {
  if (!values.environment || !/^[A-Za-z0-9_-]{1,64}$/.test(values.environment))
    throw new UsageError('--environment must be 1-64 of A-Za-z0-9_-');
  return values.environment;
}

/** What `keys list` and `clients list` show of a key or a client alike. */
function listedJson(
  row: CallerRules & { environment: string; role: string; organizationId: number | null; description: string | null; createdAt: number },
) {
  return {
    environment: row.environment,
    role: row.role,
    organization_ID: row.organizationId,
    description: row.description,
    createdAt: new Date(row.createdAt).toISOString(),
    ...rulesJson(row),
  };
}

/** A key's or client's origin binding and read limit as --json prints them (null: none). */
function rulesJson(rules: CallerRules) {
  return { allowedOrigins: rules.allowedOrigins, rateLimit: rules.rateLimit };
}

function rulesText(rules: CallerRules): string {
  const origins = rules.allowedOrigins ? `, from ${rules.allowedOrigins.join(' ')} only` : '';
  const limit = rules.rateLimit ? `, at most ${rules.rateLimit} token reads a minute per instance` : '';
  return origins + limit;
}

const OPTION_OF: Record<keyof CallerRules, string> = { allowedOrigins: '--allowed-origin', rateLimit: '--rate-limit' };

function identity(values: Values): NewCaller {
  const env = environment(values);
  if (values.role !== 'admin' && values.role !== 'reader') throw new UsageError('--role must be admin or reader');
  let organizationId: number | null = null;
  if (values.organization !== undefined) {
    organizationId = /^\d{1,10}$/.test(values.organization) ? Number(values.organization) : NaN;
    if (!(organizationId >= 1 && organizationId <= 2147483647))
      throw new UsageError('--organization must be a whole number from 1 to 2147483647');
  }
  if (values.description !== undefined && values.description.length > 256)
    throw new UsageError('--description must be at most 256 characters');
  let rules: CallerRules;
  try {
    rules = callerRules(values['allowed-origin'] ?? [], values['rate-limit']);
  } catch (error) {
    if (error instanceof CallerRulesError) throw new UsageError(`${OPTION_OF[error.field]}: ${error.message}`);
    throw error;
  }
  return { environment: env, role: values.role, organizationId, description: values.description ?? null, ...rules };
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`map-token-proxy: ${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  const name = (error as Error).name;
  const text =
    error instanceof ConfigError
      ? error.message
      : name === 'StoreUnavailableError'
        ? `the database does not answer (MYSQL_URL)`
        : (error as Error).message;
  process.stderr.write(`map-token-proxy: ${text}\n`);
  process.exit(1);
});
