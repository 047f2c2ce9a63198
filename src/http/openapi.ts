import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../project-root';
import { clientCredentialPaths } from './openapi-client-credential-paths';
import { componentHeaders, componentParameters, componentResponses, componentSchemas, securitySchemes } from './openapi-components';
import { DESCRIPTION } from './openapi-description';
import { mapTokenPaths } from './openapi-map-token-paths';
import { type SchemaFile, TAG } from './openapi-operations';
import { publicPaths } from './openapi-public-paths';
import type { SchemaValidator } from './schema-validator';

/**
 * The OpenAPI 3.1 document of every route the app serves, assembled from the same schemas Ajv validates with.
 * Its paths are built by area (openapi-*-paths.ts), its shared parts by openapi-components.ts.
 */
export function buildOpenApi(validator: SchemaValidator, options: { maxBatch: number }): object {
  const files = validator.schemas;
  const file: SchemaFile = (name) => {
    const schema = files[name];
    if (!schema) throw new Error(`schemas/${name} is missing`);
    return schema;
  };
  const { version } = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string };

  return {
    openapi: '3.1.0',
    info: { title: 'map-token-proxy', version, description: DESCRIPTION },
    tags: [
      { name: TAG.admin, description: 'Atrius-compatible admin API.' },
      { name: TAG.tokenRead, description: 'For floor-rendering clients.' },
      { name: TAG.clientCredentials, description: 'Access tokens for admin scripts, and rotation of their secrets.' },
      { name: TAG.operations, description: 'Health, readiness and metrics; no authentication.' },
      { name: TAG.documentation, description: 'This document and its explorer page.' },
      { name: TAG.browserClient, description: 'The ES module floor-map pages import to keep their token fresh (docs/browser.md).' },
    ],
    paths: { ...mapTokenPaths(file, options), ...clientCredentialPaths(file), ...publicPaths() },
    components: {
      schemas: componentSchemas(files),
      parameters: componentParameters(file('atr-headers.json')),
      headers: componentHeaders,
      responses: componentResponses(),
      securitySchemes,
    },
  };
}
