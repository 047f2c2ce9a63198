#!/usr/bin/env bash
# Reproduces the Dockerfile's runtime stage without Docker: the built dist/, schemas/ and sql/ with the
# production dependencies only, in an empty folder. The server must become ready on the embedded store,
# hold no dev dependency, answer a token read with the keys it printed, and stop with exit code 0 on
# SIGTERM; the command line, linked onto PATH as the image links it, must answer, and (when a MySQL
# answers at MYSQL_TEST_URL, default mysql://root@127.0.0.1:3306) create the first admin key of a fresh
# database, as the container docs show. It runs on the first `node` on PATH (put another Node.js first to check that one). Prints
# "runtime stage OK on Node <version>" on success.
set -euo pipefail

project="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
stage="$(mktemp -d)"
server_pid=""
mysql="${MYSQL_TEST_URL:-mysql://root@127.0.0.1:3306}"
database="mtp_runtime_$$"
database_made=""

cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid" 2>/dev/null || true; fi
  if [[ -n "$database_made" ]]; then (cd "$stage" && sql "DROP DATABASE IF EXISTS \`$database\`") || true; fi
  rm -rf "$stage"
}

# runs one statement on the MySQL at $mysql with the stage's own mysql2 (a production dependency)
sql() {
  node -e '
    require("mysql2/promise").createConnection(process.argv[1])
      .then(async (c) => { await c.query(process.argv[2]); await c.end(); })
      .catch((error) => { console.error(error.code || error.message); process.exit(1); });
  ' "$mysql" "$1"
}
trap cleanup EXIT

fail() {
  echo "runtime stage FAILED: $*" >&2
  if [[ -f "$stage/server.log" ]]; then
    echo "--- server output ---" >&2
    cat "$stage/server.log" >&2
  fi
  exit 1
}

(cd "$project" && npm run -s build) || fail "npm run build"

cp "$project/package.json" "$project/package-lock.json" "$stage/"
cp -R "$project/dist" "$project/schemas" "$project/sql" "$stage/"

cd "$stage"
npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >npm.log 2>&1 ||
  { cat npm.log >&2; fail "npm ci --omit=dev"; }

# No dev dependency may be installed, unless production code needs it too: the lock file marks those
# without "dev" (e.g. @types/node, a peer dependency of mysql2, which npm installs with it).
leaked="$(node -e '
  const fs = require("node:fs");
  const dev = Object.keys(require("./package.json").devDependencies || {});
  const lock = require("./package-lock.json").packages;
  const devOnly = (name) => (lock["node_modules/" + name] || {}).dev === true;
  console.log(dev.filter((name) => devOnly(name) && fs.existsSync("node_modules/" + name)).join(" "));
')"
[[ -z "$leaked" ]] || fail "dev dependencies in the runtime node_modules: $leaked"
test ! -d node_modules/typescript || fail "typescript is installed"

port="$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')"

env -u MYSQL_URL -u ENCRYPTION_KEY -u ACCESS_TOKEN_SIGNING_KEY NODE_ENV=production HOST=127.0.0.1 PORT="$port" \
  node dist/src/server.js >server.log 2>&1 &
server_pid=$!

ready=""
deadline=$((SECONDS + 30))
while ((SECONDS < deadline)); do
  kill -0 "$server_pid" 2>/dev/null || fail "the server exited before it was ready"
  status="$(node -e '
    fetch(process.argv[1]).then((r) => console.log(r.status), () => console.log(0));
  ' "http://127.0.0.1:$port/readyz")"
  if [[ "$status" == "200" ]]; then ready=yes; break; fi
  sleep 0.5
done
[[ -n "$ready" ]] || fail "/readyz did not answer 200 within 30 s"

# one token read: the printed admin key stores a static token, the printed reader key reads it back
node -e '
  const [origin, log] = process.argv.slice(1);
  const text = require("node:fs").readFileSync(log, "utf8");
  const key = (label) => (text.match(new RegExp(label + ":\\s+(mtp_\\S+)")) || [])[1];
  const headers = (k) => ({ "atr-environment-id": "local", "atr-subscription-key": k, "content-type": "application/json" });
  (async () => {
    const put = await fetch(origin + "/api/v1/admin/map-tokens", {
      method: "PUT", headers: headers(key("Admin key")),
      body: JSON.stringify([{ organization_ID: 1, authType: "static", token: "runtime-stage-token" }]),
    });
    if (put.status !== 200) throw new Error("PUT answered " + put.status);
    const id = (await put.json()).result[0].mapTokenID;
    const read = await fetch(origin + "/api/v1/map-tokens/" + id + "/token", { headers: headers(key("Reader key")) });
    const answer = await read.json();
    if (read.status !== 200 || answer.token !== "runtime-stage-token") throw new Error("token read answered " + read.status);
  })().catch((error) => { console.error(error.message); process.exit(1); });
' "http://127.0.0.1:$port" server.log || fail "the token read with the printed keys"

# the command line on PATH, linked as the Dockerfile links it
chmod +x dist/src/cli.js
mkdir bin
ln -s "$stage/dist/src/cli.js" bin/map-token-proxy
PATH="$stage/bin:$PATH" map-token-proxy --help | grep -q '^usage: map-token-proxy' || fail "map-token-proxy --help on PATH"
if sql "SELECT 1" 2>/dev/null; then
  database_made=yes
  key="$(MYSQL_URL="$mysql/$database" PATH="$stage/bin:$PATH" \
    ENCRYPTION_KEY="$(node -p 'require("node:crypto").randomBytes(32).toString("base64")')" \
    ACCESS_TOKEN_SIGNING_KEY="$(node -p 'require("node:crypto").randomBytes(48).toString("base64")')" \
    map-token-proxy keys create --environment prod --role admin --json 2>cli.log)" || { cat cli.log >&2; fail "map-token-proxy keys create"; }
  [[ "$key" == *'"key":"mtp_'* ]] || fail "map-token-proxy keys create printed no key"
  echo "map-token-proxy keys create made the first admin key of a fresh database"
else
  echo "no MySQL at $mysql: the first-key step is left out"
fi

kill -TERM "$server_pid"
set +e
wait "$server_pid"
code=$?
set -e
server_pid=""
[[ "$code" -eq 0 ]] || fail "the server exited with $code after SIGTERM, not 0"

echo "runtime stage OK on Node $(node --version)"
