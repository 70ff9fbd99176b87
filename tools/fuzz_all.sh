#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ one after the other (never in parallel), each for SECONDS
# (default 600), at the lowest CPU priority, and prints each one's run time, executions and
# outcome. Seeds each target's corpus from the repository's own fixtures on first use.
#
#   tools/fuzz_all.sh [SECONDS] [TARGET...]
#
# Only the stable toolchain is needed: RUSTC_BOOTSTRAP=1 lets cargo-fuzz use its nightly flags,
# and `--sanitizer none` avoids ASan (which stable can't link). Install: cargo install cargo-fuzz.
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(ingest_text ingest_jsonl ingest_csv tokenize config run_json)
export RUSTC_BOOTSTRAP=1

# Ingest targets read their first byte as option flags (strict, clean, skip-bad-records, label).
seed() {
  local dir=fuzz/corpus/$1
  [ -d "$dir" ] && [ -n "$(ls -A "$dir")" ] && return
  mkdir -p "$dir"
  local f i=0
  case $1 in
    ingest_text) for f in seeds/*.txt tests/fixtures/nested/*/*.txt; do { printf '\0'; head -c 8000 "$f"; } > "$dir/seed$((i++))"; done ;;
    ingest_jsonl) for f in tests/fixtures/jsonl/*.jsonl; do { printf '\0'; head -c 8000 "$f"; } > "$dir/seed$((i++))"; { printf '\x0c'; head -c 3000 "$f"; } > "$dir/seed$((i++))"; done ;;
    ingest_csv) for f in tests/fixtures/csv/*.csv; do { printf '\0'; head -c 8000 "$f"; } > "$dir/seed$((i++))"; done ;;
    tokenize) for f in seeds/*.txt; do head -c 4000 "$f" > "$dir/seed$((i++))"; done ;;
    config) cp config/default.toml "$dir/default.toml" ;;
    run_json) cp tests/fixtures/run_sample.json "$dir/sample.json" ;;
  esac
}

(cd fuzz && nice -n 19 cargo fuzz build --sanitizer none) || exit 1
triple=$(rustc -vV | awk '/^host:/ { print $2 }')
printf '%-14s %8s %12s %10s  %s\n' target seconds executions exec/s outcome
for t in "${targets[@]}"; do
  seed "$t"
  log=fuzz/artifacts/$t.log
  mkdir -p "fuzz/artifacts/$t"
  start=$(date +%s)
  # The binaries built above, run directly: `cargo fuzz run` would rebuild first whenever a
  # source file changed meanwhile.
  nice -n 19 "fuzz/target/$triple/release/$t" "fuzz/corpus/$t" -artifact_prefix="fuzz/artifacts/$t/" \
    -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 > "$log" 2>&1
  code=$?
  took=$(( $(date +%s) - start ))
  execs=$(awk '/stat::number_of_executed_units/ { print $NF }' "$log")
  rate=$(awk '/stat::average_exec_per_sec/ { print $NF }' "$log")
  if [ $code -eq 0 ]; then outcome="no crash"; else outcome="FAILED (exit $code), see $log"; fi
  printf '%-14s %8s %12s %10s  %s\n' "$t" "$took" "${execs:-?}" "${rate:-?}" "$outcome"
done
