// Generated from schemas/ by scripts/generate-schema-types.ts (npm run generate:schemas). Do not edit.

export { mapTokenSchema } from './map-token.schema';
export { mapTokenWriteSchema } from './map-token-write.schema';
export { mapTokenUsageSchema } from './map-token-usage.schema';
export { refreshErrorSchema } from './refresh-error.schema';
export { tokenReadSchema } from './token-read.schema';
