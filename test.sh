#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine with the .NET SDK and Node: installs what the tests need first.
set -euo pipefail
cd "$(dirname "$0")"
# The report tests open the HTML report in headless Chromium and check JUnit XML with xmllint: install them when absent.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v xmllint >/dev/null 2>&1 || missing+=(libxml2-utils)
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y "${missing[@]}"
fi
# Interop tests check our output with independently written tools (@sigstore/verify; GitHub's OpenAPI examples;
# Microsoft's SARIF multitool); the blob store tests upload to Azurite, Microsoft's Azure Storage emulator.
for dir in tests/interop tests/openapi tests/sarif tests/azurite; do
  if [ -f "$dir/package.json" ]; then
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
  fi
done
log=$(mktemp)
# Azurite on a free loopback port, its data in a temp folder; stopped and removed on exit, whatever happens.
azurite_data=$(mktemp -d)
azurite_port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
tests/azurite/node_modules/.bin/azurite-blob --blobHost 127.0.0.1 --blobPort "$azurite_port" --location "$azurite_data" \
  --silent --skipApiVersionCheck --loose >"$azurite_data/azurite.log" 2>&1 &
azurite_pid=$!
# Azurite closes gracefully on TERM but can take its time: KILL after 5 s so test.sh never leaves it behind.
stop_azurite() {
  kill "$azurite_pid" 2>/dev/null || return 0
  for _ in $(seq 1 25); do kill -0 "$azurite_pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -9 "$azurite_pid" 2>/dev/null || true
}
trap 'stop_azurite; rm -rf "$log" "$azurite_data"' EXIT
for _ in $(seq 1 150); do
  (echo >"/dev/tcp/127.0.0.1/$azurite_port") 2>/dev/null && break
  kill -0 "$azurite_pid" 2>/dev/null || { echo "Azurite did not start:" >&2; cat "$azurite_data/azurite.log" >&2; exit 1; }
  sleep 0.2
done
export EVIDENCEBOT_TEST_AZURITE="http://127.0.0.1:$azurite_port/devstoreaccount1"
set +e
dotnet test EvidenceBot.sln -c Release "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line over every test project, in the plain form CI reads.
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -oE 'Skipped: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$passed" -eq 0 ] && [ "$status" -eq 0 ]; then
  echo "no test ran" >&2
  exit 1
fi
exit "$status"
