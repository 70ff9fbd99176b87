#!/usr/bin/env bash
# Hostile sizes, by hand: generates each input into a temporary folder, runs the release binary
# on it under /usr/bin/time -v, and prints the exit code, the peak memory (max RSS), the wall time
# and the last line themata printed on stderr. Every case must end with exit 0 or a one-line
# error (exit 2), never a crash, and without exhausting memory.
#
#   cargo build --release && tools/hostile_inputs.sh            # all cases
#   tools/hostile_inputs.sh noline_txt tiny_files               # some of them
#
# Needs about 1.5 GB of free disk in $TMPDIR. THEMATA_BIN overrides the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${THEMATA_BIN:-$PWD/target/release/themata}
[ -x "$BIN" ] || { echo "no $BIN: run cargo build --release first" >&2; exit 2; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/themata-hostile.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# N bytes of words on one line (no newline at all).
words_no_newline() {
  yes 'bees visit the clover and the hive fills with honey while trains pass the station' |
    tr '\n' ' ' | head -c "$1"
}

gen_noline_txt() { words_no_newline 500M > "$TMP/noline.txt"; echo "$TMP/noline.txt"; }
gen_noline_jsonl() {
  { printf '{"id":"huge","text":"'; words_no_newline 500M; } > "$TMP/noline.jsonl"
  echo "$TMP/noline.jsonl"
}
# One 100 MB record among ordinary ones; with --skip-bad-records the rest is analysed.
gen_record_100mb() {
  local f="$TMP/record100.jsonl"
  { printf '{"id":"big","text":"'; words_no_newline 100M; printf '"}\n'
    for i in $(seq 0 199); do
      if (( i % 2 )); then t="Trains leave the station on time; the railway signal turns green and freight rolls over the junction $i."
      else t="Bees bring nectar to the hive; the beekeeper checks the queen and the brood in the frames $i."; fi
      printf '{"id":"r%d","text":"%s"}\n' "$i" "$t"
    done; } > "$f"
  echo "$f"
}
# One 50 MB record, under the per-article limit: must complete.
gen_record_50mb() {
  local f="$TMP/record50.jsonl"
  { printf '{"id":"big","text":"'; words_no_newline 50M; printf '"}\n'
    for i in $(seq 0 199); do
      if (( i % 2 )); then t="Trains leave the station on time; the railway signal turns green and freight rolls over the junction $i."
      else t="Bees bring nectar to the hive; the beekeeper checks the queen and the brood in the frames $i."; fi
      printf '{"id":"r%d","text":"%s"}\n' "$i" "$t"
    done; } > "$f"
  echo "$f"
}
# A CSV whose one quoted field is 500 MB with no newline.
gen_noline_csv() {
  { printf 'id,text\n1,"'; words_no_newline 500M; } > "$TMP/noline.csv"
  echo "$TMP/noline.csv"
}
gen_tiny_files() {
  mkdir -p "$TMP/tiny"
  awk -v dir="$TMP/tiny" 'BEGIN {
    n = split("bees hive honey queen nectar pollen brood swarm comb wax train railway station track signal freight platform junction depot tunnel", w, " ");
    for (i = 0; i < 100000; i++) {
      f = sprintf("%s/%06d.txt", dir, i);
      o = (i % 2) * 10;
      printf "%s %s %s %s %s\n", w[1 + o + i % 10], w[1 + o + (i * 3) % 10], w[1 + o + (i * 7) % 10], \
        w[1 + o + (i * 9) % 10], w[1 + o + int(i / 10) % 10] > f;
      close(f);
    }
  }'
  echo "$TMP/tiny"
}
# 20 MB of one token, in paragraphs.
gen_one_token() {
  yes "$(printf 'honey %.0s' $(seq 40))" | head -c 20M | awk '{ print; if (NR % 3 == 0) print "" }' \
    > "$TMP/one_token.txt"
  echo "$TMP/one_token.txt"
}
# 20 MB of English stop words only, in paragraphs.
gen_stop_words() {
  yes 'the of and to in is it that was for on are with as at be this have from or had by' |
    head -c 20M | awk '{ print; if (NR % 3 == 0) print "" }' > "$TMP/stop_words.txt"
  echo "$TMP/stop_words.txt"
}

run_case() {
  local name=$1; shift
  local input
  input=$("gen_$name")
  local size
  size=$(du -sh "$input" | cut -f1)
  local out="$TMP/out-$name"
  set +e
  /usr/bin/time -v -o "$TMP/time-$name" "$BIN" run "$input" "$@" --out "$out" --charts none -q \
    > "$TMP/stdout-$name" 2> "$TMP/stderr-$name"
  local code=$?
  set -e
  local rss wall msg
  rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f MB", $2 / 1024 }' "$TMP/time-$name")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$TMP/time-$name")
  msg=$(tail -n 1 "$TMP/stderr-$name")
  [ -n "$msg" ] || msg=$(head -n 1 "$TMP/stdout-$name")
  printf '%-14s %-6s exit %-3s max RSS %-8s wall %-8s %s\n' "$name" "$size" "$code" "$rss" "$wall" "${msg:0:220}"
  rm -rf "$input" "$out"
}

cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(noline_txt noline_jsonl noline_csv record_100mb record_100mb_skip record_50mb tiny_files one_token one_token_raw stop_words)
echo "binary: $BIN"
for c in "${cases[@]}"; do
  case $c in
    record_100mb_skip) gen_record_100mb_skip() { gen_record_100mb; }; run_case record_100mb_skip --skip-bad-records --k 2 ;;
    record_50mb) run_case record_50mb --k 2 ;;
    tiny_files) run_case tiny_files --k auto ;;
    one_token_raw) gen_one_token_raw() { gen_one_token; }; run_case one_token_raw --clean none ;;
    *) run_case "$c" ;;
  esac
done
