// Generated from schemas/ by scripts/generate-schema-types.ts (npm run generate:schemas). Do not edit.

export const refreshErrorSchema = {
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "refresh-error.json",
  "title": "RefreshError",
  "description": "Why the last renewal of a token failed. Read-only; null after a successful renewal. Every instance answers the same (it is kept in the database).",
  "type": "object",
  "additionalProperties": false,
  "required": [
    "at",
    "kind",
    "message"
  ],
  "properties": {
    "at": {
      "type": "string",
      "format": "date-time",
      "description": "When the renewal failed: ISO 8601 UTC with milliseconds."
    },
    "kind": {
      "enum": [
        "rejected",
        "error",
        "timeout"
      ],
      "description": "`rejected`: ArcGIS refused the stored credentials; `error`: ArcGIS failed (5xx, an HTML page, a malformed answer, a reset, a redirect); `timeout`: ArcGIS did not answer within UPSTREAM_TIMEOUT_MS."
    },
    "message": {
      "type": "string",
      "description": "ArcGIS's own message, or what went wrong; never a secret, password or token."
    }
  }
} as const;
