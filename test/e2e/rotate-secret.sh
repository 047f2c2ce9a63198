#!/usr/bin/env bash
# Rotates a client's own secret: log in with the current secret, create a new one, log in with the
# new one, delete the secret used to log in. Prints only the new secret on stdout. On failure it exits
# non-zero and prints nothing on stdout: keep using the current secret.
# Needs BASE_URL, ENVIRONMENT, CLIENT_ID, CLIENT_SECRET. Secrets and tokens travel on stdin, never
# on a command line where other users could see them.
set -euo pipefail
: "${BASE_URL:?}" "${ENVIRONMENT:?}" "${CLIENT_ID:?}" "${CLIENT_SECRET:?}"

field() { python3 -c "import json,sys;print(json.load(sys.stdin)[\"$1\"])"; }

login() { # login SECRET -> access token
  printf '%s' "$1" | curl -fsS "$BASE_URL/api/v1/auth/token" --data grant_type=client_credentials \
    --data-urlencode "client_id=$CLIENT_ID" --data-urlencode client_secret@- | field access_token
}

secrets() { # secrets TOKEN METHOD QUERY -> /api/v1/auth/clientcredentials as this client
  printf 'Authorization: Bearer %s\n' "$1" | curl -fsS -X "$2" -H @- \
    -H "atr-environment-id: $ENVIRONMENT" "$BASE_URL/api/v1/auth/clientcredentials?$3"
}

old_token=$(login "$CLIENT_SECRET")
# the id of the secret we logged in with: the sid claim of the access token (a JWT)
old_id=$(printf '%s' "$old_token" | python3 -c 'import base64,json,sys
p = sys.stdin.read().split(".")[1]
print(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))["sid"])')

new_secret=$(secrets "$old_token" POST "description=rotated-$(date -u +%Y%m%dT%H%M%SZ)" | field secret)
new_token=$(login "$new_secret") # the new secret works before the old one goes
secrets "$new_token" DELETE "id=$old_id" >/dev/null
printf '%s\n' "$new_secret"
