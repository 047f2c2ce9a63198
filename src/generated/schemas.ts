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
    "token",
    "token_Expire_Date",
    "lastRefreshError"
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
    }
  }
} as const;

export const mapTokenWriteSchema = {
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "map-token-write.json",
  "title": "MapTokenWrite",
  "description": "One item of the PUT body: a map token resource to create (no mapTokenID) or replace (with mapTokenID).",
  "type": "object",
  "additionalProperties": false,
  "required": [
    "organization_ID",
    "authType"
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
      "minLength": 1,
      "maxLength": 256,
      "description": "agol: the ArcGIS app's client id; enterprise: the user name (case-sensitive)."
    },
    "authToken": {
      "type": "string",
      "minLength": 1,
      "maxLength": 4096,
      "writeOnly": true,
      "description": "agol: the ArcGIS app's client secret; enterprise: the user's password. Write-only: stored encrypted, never returned, never logged. On update, omit it to keep the stored one (only while authType stays the same and authURL keeps its origin)."
    },
    "authTimeout": {
      "type": [
        "integer",
        "null"
      ],
      "minimum": 1,
      "maximum": 20160,
      "description": "Requested token lifetime in minutes, sent to ArcGIS as `expiration` (1 to 20160). null lets ArcGIS choose (agol: 120 minutes; enterprise: the portal's or server's default, usually 60); the portal or server may grant less than asked."
    },
    "authURL": {
      "type": [
        "string",
        "null"
      ],
      "minLength": 1,
      "maxLength": 2048,
      "format": "uri",
      "description": "agol: the ArcGIS OAuth2 token URL, e.g. https://www.arcgis.com/sharing/rest/oauth2/token/; enterprise: the generateToken URL of a portal (https://gis.example.com/portal/sharing/rest/generateToken) or of a standalone ArcGIS Server (https://gis.example.com/arcgis/tokens/generateToken). Must match AUTH_URL_ALLOWLIST."
    },
    "authReferer": {
      "type": [
        "string",
        "null"
      ],
      "minLength": 1,
      "maxLength": 2048,
      "description": "enterprise only (null or absent for agol and static): the browser origin the token is bound to, sent as `client=referer&referer=...`; the token then works only in requests that carry a matching Referer. null binds the token to the service's own address (`client=requestip`), which suits server-side callers only."
    },
    "token": {
      "type": [
        "string",
        "null"
      ],
      "minLength": 1,
      "maxLength": 4096,
      "description": "The current access token. Required for static items; read-only (ignored on write) for agol and enterprise items."
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
      "description": "Read-only: accepted and ignored, so that a GET-modify-PUT round trip works."
    }
  },
  "allOf": [
    {
      "if": {
        "required": [
          "authType"
        ],
        "properties": {
          "authType": {
            "enum": [
              "agol",
              "enterprise"
            ]
          }
        }
      },
      "then": {
        "required": [
          "authKey",
          "authURL"
        ],
        "properties": {
          "authKey": {
            "type": "string"
          },
          "authURL": {
            "type": "string"
          }
        }
      }
    },
    {
      "if": {
        "required": [
          "authType"
        ],
        "properties": {
          "authType": {
            "enum": [
              "agol",
              "enterprise"
            ]
          }
        },
        "not": {
          "required": [
            "mapTokenID"
          ]
        }
      },
      "then": {
        "required": [
          "authToken"
        ]
      }
    },
    {
      "if": {
        "required": [
          "authType"
        ],
        "properties": {
          "authType": {
            "enum": [
              "agol",
              "static"
            ]
          }
        }
      },
      "then": {
        "properties": {
          "authReferer": {
            "type": "null"
          }
        }
      }
    },
    {
      "if": {
        "required": [
          "authType"
        ],
        "properties": {
          "authType": {
            "const": "static"
          }
        }
      },
      "then": {
        "required": [
          "token"
        ],
        "properties": {
          "token": {
            "type": "string"
          },
          "authToken": false,
          "authKey": {
            "type": "null"
          },
          "authURL": {
            "type": "null"
          },
          "authTimeout": {
            "type": "null"
          }
        }
      }
    }
  ],
  "examples": [
    {
      "organization_ID": 1,
      "authType": "agol",
      "authKey": "f2f591dcea8345ac8e9af5c9e3757618",
      "authToken": "<client secret>",
      "authTimeout": 60,
      "authURL": "https://www.arcgis.com/sharing/rest/oauth2/token/"
    },
    {
      "organization_ID": 1,
      "authType": "enterprise",
      "authKey": "indoors_viewer",
      "authToken": "<password>",
      "authTimeout": 60,
      "authURL": "https://gis.example.com/portal/sharing/rest/generateToken",
      "authReferer": "https://maps.example.com"
    }
  ]
} as const;

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
      "description": "The ArcGIS REST root the token was issued by (registerToken's `server`): authURL up to and including `/sharing/rest`, or for a standalone ArcGIS Server's `.../<instance>/tokens/generateToken` its `.../<instance>/rest/services`; null for static tokens."
    },
    "ssl": {
      "type": "boolean",
      "description": "Whether authURL is https (registerToken's `ssl`); false for static tokens."
    }
  }
} as const;
