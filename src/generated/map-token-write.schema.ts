// Generated from schemas/ by scripts/generate-schema-types.ts (npm run generate:schemas). Do not edit.

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
    "server": {
      "type": [
        "string",
        "null"
      ],
      "minLength": 1,
      "maxLength": 2048,
      "format": "uri",
      "description": "static items only (ignored for agol and enterprise, whose server is derived from authURL): the ArcGIS REST root the static token is for, an https URL (plain http is refused) such as https://gis.example.com/portal/sharing/rest or https://gis.example.com/arcgis/rest/services. Answered as the token read's `server`, so that the ArcGIS Maps SDK's registerToken() works for the token. Not checked against AUTH_URL_ALLOWLIST: nothing is fetched from it."
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
    },
    "usage": {
      "$ref": "map-token-usage.json",
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
          },
          "server": {
            "type": [
              "string",
              "null"
            ],
            "pattern": "^https://"
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
