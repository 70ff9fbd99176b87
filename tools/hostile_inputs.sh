#!/usr/bin/env bash
# Hostile sizes, by hand: generates each input into a temporary folder, runs the release binary
# on it under /usr/bin/time -v, and prints the exit code, the peak memory (max RSS), the wall time
# and the last line themata printed on stderr. Every case must end with exit 0 or a one-line
# error (exit 2), never a crash, and without exhausting memory.
#
#   cargo build --release && tools/hostile_inputs.sh            # all cases
#   tools/hostile_inputs.sh noline_txt tiny_files               # some of them
#
# Needs about 1.5 GB of free disk in $TMPDIR, and python3 for the run_json_* cases (hostile run
# folders for `eval` and `chart`). THEMATA_BIN overrides the binary.
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

# A gzip bomb: 4.1 GiB of JSON Lines records in a few MB, past ingest.max_decompressed_bytes.
gen_gzip_bomb() {
  yes '{"text":"bees and honey"}' | head -c 4200M | gzip -1 > "$TMP/bomb.jsonl.gz"
  echo "$TMP/bomb.jsonl.gz"
}
# A CSV whose quote never closes, 80 MB: refused at the 64 MiB record cap while reading.
gen_open_quote_csv() {
  { printf 'id,text\n1,ok\n2,"'; words_no_newline 80M | tr ' ' '\n'; } > "$TMP/open_quote.csv"
  echo "$TMP/open_quote.csv"
}
# 1,400 short documents of made-up words, for a run with k = 1,300 themes.
gen_many_themes() {
  awk 'BEGIN { srand(7); for (i = 0; i < 1400; i++) { t = ""; for (j = 0; j < 20; j++) t = t " w" int(rand() * 3000);
    printf "{\"id\":\"d%d\",\"text\":\"%s\"}\n", i, t } }' > "$TMP/many.jsonl"
  echo "$TMP/many.jsonl"
}
# Run folders whose run.json is hostile, made from the test fixture (needs python3).
gen_run_json() {
  local dir="$TMP/run-$1"
  mkdir -p "$dir"
  python3 - "$1" tests/fixtures/run_sample.json "$dir/run.json" <<'PY'
import json, sys
case, src, dst = sys.argv[1:]
r = json.load(open(src))
if case == "bad_index":
    r["units"][3]["article"] = 10**12
elif case == "bad_shape":
    r["similarity"].pop()
elif case == "many_themes":
    r["themes"] = [r["themes"][0]] * 20001
elif case == "many_labels":
    # 20,000 units, each with its own label, in 1,000 themes (a dense label x theme table would
    # be 160 MB; the sparse one has 20,000 cells). Every article's mix has k entries, as valid.
    k, n = 1000, 20000
    t0, u0, a0 = r["themes"][0], r["units"][0], r["articles"][0]
    r["themes"] = [dict(t0, id=i, size=0, representatives=[], articles=[]) for i in range(k)]
    r["similarity"] = [[0.0] * k for _ in range(k)]
    r["hierarchy"], r["named_themes"] = [], []
    r["articles"] = [dict(a0, id=f"a{i}", label=f"label{i}", mix=[0] * k) for i in range(n)]
    r["units"] = [dict(u0, id=i, article=i, theme=i % k, text="") for i in range(n)]
json.dump(r, open(dst, "w"))
PY
  echo "$dir"
}

# Runs "$BIN" ARGS... for case NAME under /usr/bin/time and prints one line.
measure() {
  local name=$1 size=$2; shift 2
  set +e
  /usr/bin/time -v -o "$TMP/time-$name" "$BIN" "$@" > "$TMP/stdout-$name" 2> "$TMP/stderr-$name"
  local code=$?
  set -e
  local rss wall msg
  rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f MB", $2 / 1024 }' "$TMP/time-$name")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$TMP/time-$name")
  msg=$(tail -n 1 "$TMP/stderr-$name")
  [ -n "$msg" ] || msg=$(head -n 1 "$TMP/stdout-$name")
  printf '%-16s %-6s exit %-3s max RSS %-8s wall %-8s %s\n' "$name" "$size" "$code" "$rss" "$wall" "${msg:0:220}"
}

run_case() {
  local name=$1; shift
  local input
  input=$("gen_$name")
  local size
  size=$(du -sh "$input" | cut -f1)
  local out="$TMP/out-$name"
  local charts=(--charts none)
  [ "$name" = many_themes ] && charts=(--charts png,svg)
  measure "$name" "$size" run "$input" "$@" --out "$out" "${charts[@]}" -q
  rm -rf "$input" "$out"
}

# `themata eval` and `themata chart` on a hostile run folder.
readback_case() {
  local dir
  dir=$(gen_run_json "$1")
  local size
  size=$(du -sh "$dir/run.json" | cut -f1)
  measure "eval:$1" "$size" eval "$dir"
  measure "chart:$1" "$size" chart "$dir" --charts png,svg
  rm -rf "$dir"
}

cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(noline_txt noline_jsonl noline_csv record_100mb record_100mb_skip record_50mb tiny_files one_token one_token_raw stop_words
  gzip_bomb open_quote_csv many_themes run_json_bad_index run_json_bad_shape run_json_many_themes run_json_many_labels)
echo "binary: $BIN"
for c in "${cases[@]}"; do
  case $c in
    record_100mb_skip) gen_record_100mb_skip() { gen_record_100mb; }; run_case record_100mb_skip --skip-bad-records --k 2 ;;
    record_50mb) run_case record_50mb --k 2 ;;
    tiny_files) run_case tiny_files --k auto ;;
    one_token_raw) gen_one_token_raw() { gen_one_token; }; run_case one_token_raw --clean none ;;
    many_themes) run_case many_themes --unit document --k 1300 ;;
    run_json_*) readback_case "${c#run_json_}" ;;
    *) run_case "$c" ;;
  esac
done
