// Generated from schemas/ by scripts/generate-schema-types.ts (npm run generate:schemas). Do not edit.

export const mapTokenSchema = {
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "map-token.json",
  "title": "MapToken",
  "description": "A map token resource as the service returns it. The client secret or password (authToken) is never returned.",
  "type": "object",
  "additionalProperties": false,
  "required": [
    "mapTokenID",
    "organization_ID",
    "authType",
    "authKey",
    "authTimeout",
    "authURL",
    "authReferer",
    "server",
    "token",
    "token_Expire_Date",
    "lastRefreshError",
    "usage"
  ],
  "properties": {
    "mapTokenID": {
      "type": "integer",
      "minimum": 1,
      "maximum": 2147483647,
      "description": "A unique numerical identifier of the map token resource, assigned by the service. Omit it to create a resource; send it to replace the writable fields of that resource."
    },
    "organization_ID": {
      "type": "integer",
      "minimum": 1,
      "maximum": 2147483647,
      "description": "A numerical identifier that associates a map token to an organization resource."
    },
    "authType": {
      "enum": [
        "agol",
        "enterprise",
        "static"
      ],
      "description": "Map token authentication type: `agol` (an ArcGIS OAuth app on ArcGIS Online or an ArcGIS Enterprise portal; the service fetches tokens with the client_credentials grant), `enterprise` (a named user of an ArcGIS Enterprise portal or a standalone ArcGIS Server; the service fetches tokens with generateToken) or `static` (a token stored as given)."
    },
    "authKey": {
      "type": [
        "string",
        "null"
      ],
      "description": "agol: the ArcGIS app's client id; enterprise: the user name (case-sensitive)."
    },
    "authTimeout": {
      "type": [
        "integer",
        "null"
      ],
      "description": "Requested token lifetime in minutes, sent to ArcGIS as `expiration` (1 to 20160). null lets ArcGIS choose (agol: 120 minutes; enterprise: the portal's or server's default, usually 60); the portal or server may grant less than asked."
    },
    "authURL": {
      "type": [
        "string",
        "null"
      ],
      "description": "agol: the ArcGIS OAuth2 token URL, e.g. https://www.arcgis.com/sharing/rest/oauth2/token/; enterprise: the generateToken URL of a portal (https://gis.example.com/portal/sharing/rest/generateToken) or of a standalone ArcGIS Server (https://gis.example.com/arcgis/tokens/generateToken). Must match AUTH_URL_ALLOWLIST."
    },
    "authReferer": {
      "type": [
        "string",
        "null"
      ],
      "description": "enterprise: the referer the token is bound to (`client=referer`), or null for `client=requestip`; always null for agol and static."
    },
    "server": {
      "type": [
        "string",
        "null"
      ],
      "description": "The ArcGIS REST root the token is for, as the token read answers it: for agol and enterprise derived from authURL (read-only), for static items as stored (null when not set)."
    },
    "token": {
      "type": [
        "string",
        "null"
      ],
      "description": "The current access token; fresh (at least the refresh margin left) on a GET of one resource, as cached on a list."
    },
    "token_Expire_Date": {
      "type": [
        "string",
        "null"
      ],
      "format": "date-time",
      "description": "When `token` stops working: ISO 8601 UTC with milliseconds. Optional for static items; read-only (ignored on write) for agol and enterprise items."
    },
    "lastRefreshError": {
      "oneOf": [
        {
          "$ref": "refresh-error.json"
        },
        {
          "type": "null"
        }
      ],
      "readOnly": true,
      "description": "Why the last renewal of this token failed; null when the last one succeeded (and always for static tokens)."
    },
    "usage": {
      "$ref": "map-token-usage.json",
      "readOnly": true,
      "description": "Read-only: when the token was last read and how many token reads it has had (at most a minute behind). Shows whether anyone still uses it; REFRESH_AHEAD=in-use renews ahead only tokens read or written within REFRESH_AHEAD_IDLE_HOURS."
    }
  }
} as const;
