/** The OpenAPI document's introduction: what the service is, and where it differs from the Atrius page. */
export const DESCRIPTION = `Holds ArcGIS credentials (OAuth 2.0 client_credentials apps, or named users of an ArcGIS Enterprise portal or a standalone ArcGIS Server through generateToken) and hands short-lived ArcGIS access tokens to the clients that render secured floor maps, so that those clients never see a client secret or a password. The admin API is compatible with the Atrius "Admin Map Tokens API (v1)".

Every \`/api/v1\` call (except the token endpoint) is scoped to one environment by \`atr-environment-id\` and authenticated with \`atr-subscription-key\` or \`Authorization: Bearer <access token>\`. Every answer carries \`x-request-id\`; errors use the envelope \`{"msg", "requestId", "code", "details"?}\` (the token endpoint answers in RFC 6749's shape instead). A method a path lacks answers 405 (\`MethodNotAllowed\`, with an \`Allow\` header); an unknown path answers 404.

## Where this differs from the Atrius page, and why

- \`authToken\` (the ArcGIS client secret, or an enterprise user's password) is **write-only**: stored encrypted, never returned. The Atrius samples echo it in every answer; a secret that can be read back leaks through every admin tool, log and browser that sees an answer.
- \`authTimeout\` is the requested token lifetime in **minutes**, passed to ArcGIS as \`expiration\` (ArcGIS's own unit). The Atrius page calls it "time in seconds"; read literally, its example of 60 would ask for one-minute tokens.
- \`enterprise\` items (ArcGIS Enterprise and ArcGIS Server named users, \`generateToken\`, with the optional \`authReferer\`) are an addition: the Atrius page names only \`agol\` and static tokens.
- The list and delete routes, \`total\` in list answers, \`details\` in errors, roles and organization-bound keys, the client-credentials flow and the token read for floor-rendering clients are additions: the Atrius page documents only the PUT and its answers.`;
