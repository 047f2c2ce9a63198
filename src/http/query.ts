import type { Request } from 'express';
import { BadRequestError } from '../errors';
import type { SchemaValidator } from './schema-validator';

const INTEGER = /^-?\d{1,15}$/;

/**
 * The query string as the schema `id` expects it. Query values are text; whole numbers are turned into
 * numbers for the properties the schema types as integers, so that the schema (not hand-written
 * checks) judges ranges and types.
 */
export function checkedQuery<T>(validator: SchemaValidator, req: Request, id: string): T {
  const properties = (validator.schemas[id]?.properties ?? {}) as Record<string, { type?: string | string[] }>;
  const numeric = (name: string) => [properties[name]?.type].flat().includes('integer');
  // no prototype: a parameter named __proto__ is an own property the schema sees (and refuses), not a setter
  const out: Record<string, unknown> = Object.create(null);
  for (const [name, value] of Object.entries(req.query as Record<string, unknown>)) {
    if (typeof value !== 'string') {
      throw new BadRequestError(`Query parameter ${name} must be given once, as plain text.`, [
        { path: `query/${name}`, message: 'must be given once' },
      ]);
    }
    out[name] = numeric(name) && INTEGER.test(value) ? Number(value) : value;
  }
  return validator.check<T>(id, out, 'query');
}

/**
 * A path id: a positive int32 in its one decimal spelling, else 400. Leading zeros are refused
 * (`01`, `00000000001`): one resource, one path; such text stays text, which the schema refuses.
 */
export function pathId(validator: SchemaValidator, raw: string): number {
  const value = /^[1-9]\d{0,9}$/.test(raw) ? Number(raw) : raw;
  return validator.check<number>('map-token-id.json', value, 'path');
}
