import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import type { mapTokenSchema, mapTokenUsageSchema, mapTokenWriteSchema, refreshErrorSchema, tokenReadSchema } from '../generated/schemas';

/** The types of the map token resource, its write items and the token answer, derived from schemas/. */
type Derive<S extends JSONSchema> = FromSchema<
  S,
  {
    references: [typeof refreshErrorSchema, typeof mapTokenUsageSchema];
    parseIfThenElseKeywords: true;
  }
>;

export type MapTokenWriteItem = Derive<typeof mapTokenWriteSchema>;
export type MapTokenResource = Derive<typeof mapTokenSchema>;
export type TokenReadBody = Derive<typeof tokenReadSchema>;
