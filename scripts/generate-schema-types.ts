import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The schemas whose TypeScript types the code uses (src/services/map-token-types.ts). JSON files cannot be
 * imported with literal types, so this step copies each, unchanged, into a module of its own holding an
 * `as const` value that `FromSchema` reads, and an index that re-exports them. A test compares the
 * checked-in modules with a fresh rendering: edit schemas/, then run `npm run generate:schemas`.
 */
export const TYPED_SCHEMAS: Record<string, string> = {
  mapTokenSchema: 'map-token.json',
  mapTokenWriteSchema: 'map-token-write.json',
  mapTokenUsageSchema: 'map-token-usage.json',
  refreshErrorSchema: 'refresh-error.json',
  tokenReadSchema: 'token-read.json',
};

const root = join(__dirname, '..');
const HEADER = '// Generated from schemas/ by scripts/generate-schema-types.ts (npm run generate:schemas). Do not edit.';
const moduleName = (file: string) => file.replace(/\.json$/, '.schema');

/** Every generated module, by its path: one per schema, and `schemas.ts` re-exporting them all. */
export function renderSchemaModules(): Record<string, string> {
  const modules: Record<string, string> = {};
  const index = [HEADER, ''];
  for (const [name, file] of Object.entries(TYPED_SCHEMAS)) {
    const schema = JSON.parse(readFileSync(join(root, 'schemas', file), 'utf8'));
    modules[join(root, 'src', 'generated', `${moduleName(file)}.ts`)] = [
      HEADER,
      '',
      `export const ${name} = ${JSON.stringify(schema, null, 2)} as const;`,
      '',
    ].join('\n');
    index.push(`export { ${name} } from './${moduleName(file)}';`);
  }
  modules[join(root, 'src', 'generated', 'schemas.ts')] = [...index, ''].join('\n');
  return modules;
}

if (require.main === module) for (const [path, text] of Object.entries(renderSchemaModules())) writeFileSync(path, text);
