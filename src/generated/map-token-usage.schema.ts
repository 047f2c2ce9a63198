// Generated from schemas/ by scripts/generate-schema-types.ts (npm run generate:schemas). Do not edit.

export const mapTokenUsageSchema = {
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "map-token-usage.json",
  "title": "MapTokenUsage",
  "description": "Token reads of a map token (GET and POST of the token read route; admin reads do not count), kept by every instance and written to the database in batches: at most a minute behind, and a crash loses at most that minute.",
  "type": "object",
  "additionalProperties": false,
  "required": [
    "lastReadAt",
    "reads"
  ],
  "properties": {
    "lastReadAt": {
      "type": [
        "string",
        "null"
      ],
      "format": "date-time",
      "description": "When the token was last read (the time of the read), ISO 8601 UTC with milliseconds; null when it never was."
    },
    "reads": {
      "type": "integer",
      "minimum": 0,
      "description": "How many token reads it has had."
    }
  }
} as const;
