import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { BadRequestError, type ErrorDetail } from '../errors';
import { projectRoot } from '../project-root';

export type SchemaId = string;
export type Location = 'body' | 'query' | 'header' | 'path';

const MAX_DETAILS = 50;

/**
 * The one Ajv instance. It loads every file of schemas/ (the same files the OpenAPI document is
 * built from), so that validation and documentation cannot drift apart.
 */
export class SchemaValidator {
  readonly schemas: Record<SchemaId, Record<string, unknown>>;
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<SchemaId, ValidateFunction>();

  constructor(options: { maxBatch: number }) {
    const dir = join(projectRoot(), 'schemas');
    this.schemas = {};
    for (const file of readdirSync(dir)
      .filter((name) => name.endsWith('.json'))
      .sort()) {
      this.schemas[file] = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    }
    // MAX_BATCH is configuration; the schema file documents the default.
    this.schemas['map-token-put-request.json'] = { ...this.schemas['map-token-put-request.json'], maxItems: options.maxBatch };
    // strictRequired is off: if/then branches name properties that the outer schema defines
    this.ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
    addFormats(this.ajv);
    for (const schema of Object.values(this.schemas)) this.ajv.addSchema(schema);
    // compile everything now: a broken schema stops the start, not a request
    for (const id of Object.keys(this.schemas)) this.compile(id);
  }

  compile(id: SchemaId): ValidateFunction {
    let fn = this.compiled.get(id);
    if (!fn) {
      fn = this.ajv.getSchema(id);
      if (!fn) throw new Error(`unknown schema ${id}`);
      this.compiled.set(id, fn);
    }
    return fn;
  }

  /** Returns `data` typed as T when it matches schema `id`, else throws 400 with every problem in `details`. */
  check<T>(id: SchemaId, data: unknown, where: Location): T {
    const fn = this.compile(id);
    if (fn(data)) return data as T;
    const details = toDetails(fn.errors ?? [], where);
    const noun =
      where === 'body'
        ? 'The request body'
        : where === 'query'
          ? 'The query string'
          : where === 'header'
            ? 'The request headers'
            : 'The path';
    // toDetails always names at least one problem
    const [first = { path: '', message: 'is invalid' }] = details;
    const message =
      details.length === 1
        ? `${noun} is invalid: ${first.path} ${first.message}.`
        : `${noun} has ${details.length} problems; the first: ${first.path} ${first.message}.`;
    throw new BadRequestError(message, details);
  }
}

function toDetails(errors: ErrorObject[], where: Location): ErrorDetail[] {
  const seen = new Set<string>();
  const details: ErrorDetail[] = [];
  for (const error of errors) {
    const detail = toDetail(error, where);
    if (!detail) continue;
    const key = `${detail.path}\u0000${detail.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    details.push(detail);
    if (details.length === MAX_DETAILS) break;
  }
  return details.length ? details : [{ path: prefix('', where), message: 'is invalid' }];
}

function toDetail(error: ErrorObject, where: Location): ErrorDetail | null {
  const path = error.instancePath;
  switch (error.keyword) {
    case 'if':
      return null; // the failing "then" branch reports the real problem
    case 'required':
      return { path: prefix(`${path}/${escapePointer(error.params.missingProperty)}`, where), message: 'is required' };
    case 'additionalProperties':
      return { path: prefix(`${path}/${escapePointer(error.params.additionalProperty)}`, where), message: 'is not a known property' };
    case 'false schema':
      return { path: prefix(path, where), message: 'is not allowed for this authType' };
    case 'enum':
      return { path: prefix(path, where), message: `must be one of: ${(error.params.allowedValues as unknown[]).join(', ')}` };
    case 'const':
      return { path: prefix(path, where), message: `must be ${JSON.stringify(error.params.allowedValue)}` };
    case 'type':
      return { path: prefix(path, where), message: `must be ${String(error.params.type).replace(',', ' or ')}` };
    case 'pattern':
      return { path: prefix(path, where), message: 'has characters or a form that is not allowed' };
    default:
      return { path: prefix(path, where), message: error.message ?? 'is invalid' };
  }
}

const escapePointer = (name: string) => name.replace(/~/g, '~0').replace(/\//g, '~1');

function prefix(pointer: string, where: Location): string {
  if (where === 'body') return pointer === '' ? '/' : pointer;
  return `${where}${pointer}`;
}
