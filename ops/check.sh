#!/usr/bin/env bash
# Checks the monitoring files with promtool: the alerting rules parse (promtool check rules), every alert
# behaves as its unit tests say (promtool test rules), and every query of the Grafana dashboard parses
# (each is checked as a recording rule, with Grafana's variables filled in). Prints "ops OK" on success.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
command -v promtool >/dev/null || { echo "promtool is missing (Debian: apt-get install prometheus)" >&2; exit 1; }

promtool check rules "$here/prometheus/map-token-proxy.rules.yml"
(cd "$here/prometheus" && promtool test rules map-token-proxy.rules.test.yml)

queries="$(mktemp --suffix=.yml)"
trap 'rm -f "$queries"' EXIT
node -e '
  const dashboard = require(process.argv[1]);
  const rules = dashboard.panels.flatMap((panel) =>
    panel.targets.map((target, index) => ({
      record: `dashboard:panel_${panel.id}_${index}`,
      expr: target.expr.replaceAll("$__rate_interval", "5m").replaceAll("$job", "map-token-proxy"),
    })),
  );
  console.log(JSON.stringify({ groups: [{ name: "dashboard", rules }] }));
' "$here/grafana/map-token-proxy.dashboard.json" >"$queries"
echo "Checking the dashboard's queries"
promtool check rules "$queries"
echo "ops OK"
