import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The schemas whose TypeScript types the code uses (src/services/map-token-types.ts). JSON files cannot be
 * imported with literal types, so this step copies them, unchanged, into a module of `as const` values that
 * `FromSchema` reads. A test compares the checked-in module with a fresh rendering: edit schemas/, then run
 * `npm run generate:schemas`.
 */
export const TYPED_SCHEMAS: Record<string, string> = {
  mapTokenSchema: 'map-token.json',
  mapTokenWriteSchema: 'map-token-write.json',
  refreshErrorSchema: 'refresh-error.json',
  tokenReadSchema: 'token-read.json',
};

const root = join(__dirname, '..');
export const GENERATED_PATH = join(root, 'src', 'generated', 'schemas.ts');

export function renderSchemaModule(): string {
  const parts = ['// Generated from schemas/ by scripts/generate-schema-types.ts (npm run generate:schemas). Do not edit.', ''];
  for (const [name, file] of Object.entries(TYPED_SCHEMAS)) {
    const schema = JSON.parse(readFileSync(join(root, 'schemas', file), 'utf8'));
    parts.push(`export const ${name} = ${JSON.stringify(schema, null, 2)} as const;`, '');
  }
  return parts.join('\n');
}

if (require.main === module) writeFileSync(GENERATED_PATH, renderSchemaModule());
