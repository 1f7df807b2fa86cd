#!/usr/bin/env bash
# ReadyToRun or not: publishes the CLI twice (JIT only; ReadyToRun for this machine's RID) and times, interleaved,
#   --version            process start-up only
#   demo (cold cache)    start-up + compiling every built-in rule + the run
#   demo (warm cache)    start-up + the run, rules from the compile cache
# Prints the median of N rounds (default 5) per build and the ratio R2R / JIT. Usage: bench/startup.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
rid=$(dotnet --info | awk '/RID:/ {print $2; exit}')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet publish src/EvidenceBot.Cli -c Release -r "$rid" --self-contained false -p:PublishReadyToRun=false -o "$work/jit" >/dev/null
dotnet publish src/EvidenceBot.Cli -c Release -r "$rid" --self-contained false -p:PublishReadyToRun=true -o "$work/r2r" >/dev/null
echo "sizes: jit $(du -sh "$work/jit" | cut -f1), r2r $(du -sh "$work/r2r" | cut -f1)"
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A results
for round in $(seq 1 "$rounds"); do
  for build in jit r2r; do
    exe="$work/$build/evidencebot"
    export EVIDENCEBOT_JIT_PROFILE=off
    results[$build-version]+="$(ms "$exe" --version) "
    rm -rf "$work/cache-$build" "$work/out-$build"
    results[$build-cold]+="$(ms "$exe" demo --cache-dir "$work/cache-$build" --out "$work/out-$build") "
    results[$build-warm]+="$(ms "$exe" demo --cache-dir "$work/cache-$build" --out "$work/out-$build") "
  done
done
printf '%-22s %8s %8s %7s\n' "median of $rounds (ms)" jit r2r r2r/jit
for what in version cold warm; do
  j=$(echo ${results[jit-$what]} | tr ' ' '\n' | median)
  r=$(echo ${results[r2r-$what]} | tr ' ' '\n' | median)
  printf '%-22s %8d %8d %7.2f\n' "$what" "$j" "$r" "$(awk -v r="$r" -v j="$j" 'BEGIN {print r / j}')"
done
