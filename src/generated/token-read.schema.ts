// Generated from schemas/ by scripts/generate-schema-types.ts (npm run generate:schemas). Do not edit.

export const tokenReadSchema = {
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "token-read.json",
  "title": "TokenRead",
  "description": "A token for a floor-rendering client, in the shape the ArcGIS Maps SDK's IdentityManager.registerToken() takes as is.",
  "type": "object",
  "additionalProperties": false,
  "required": [
    "mapTokenID",
    "token",
    "token_Expire_Date",
    "expires_in",
    "expires",
    "server",
    "ssl"
  ],
  "properties": {
    "mapTokenID": {
      "type": "integer",
      "minimum": 1
    },
    "token": {
      "type": "string",
      "description": "The ArcGIS access token to send with map service requests."
    },
    "token_Expire_Date": {
      "type": [
        "string",
        "null"
      ],
      "format": "date-time",
      "description": "When the token stops working; null for a static token without one."
    },
    "expires_in": {
      "type": [
        "integer",
        "null"
      ],
      "minimum": 0,
      "description": "Seconds left until token_Expire_Date; null when it is null."
    },
    "expires": {
      "type": [
        "integer",
        "null"
      ],
      "description": "token_Expire_Date as epoch milliseconds (registerToken's `expires`); null when it is null."
    },
    "server": {
      "type": [
        "string",
        "null"
      ],
      "description": "The ArcGIS REST root the token was issued by (registerToken's `server`): authURL up to and including `/sharing/rest`, or for a standalone ArcGIS Server's `.../<instance>/tokens/generateToken` its `.../<instance>/rest/services`; for a static token its stored `server` (null when not set)."
    },
    "ssl": {
      "type": "boolean",
      "description": "Whether authURL is https (registerToken's `ssl`); for a static token whether its `server` is (false without one)."
    }
  }
} as const;
