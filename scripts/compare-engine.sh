#!/usr/bin/env bash
# The engine's figures side by side on one generated file, as the README's performance
# table reports them: print --count against mawk and grep -c (each writing its answer
# to a file, as grep skips work when it writes to /dev/null), and pairs (text and JSON
# Lines) with their time and peak resident memory, and the explorer's resident memory
# holding a full 1,000,000-record ring after reading the file (scripts/memcheck.sh: the
# real binary in tmux, read from /proc as `top` shows it). Checks first that the three
# counts agree. Needs hyperfine, mawk and tmux (apt-get install hyperfine mawk tmux) and GNU time
# (/usr/bin/time). Usage: scripts/compare-engine.sh [RECORDS] [DIR]; RUNS=n changes the
# number of timed runs (default 7; the medians are reported).
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-2391762}
dir=${2:-$(mktemp -d)}
runs=${RUNS:-7}
mkdir -p "$dir"
go build -o "$dir/flowlens" .
fl="$dir/flowlens"
file="$dir/flows-$records.log"
if [ ! -s "$file" ]; then
  "$fl" generate --records "$records" -o "$file"
fi
printf '%s records, %s MB, %s CPUs, load %s\n' "$records" "$(( $(stat -c %s "$file") / 1000000 ))" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"

# The three counts must agree before their times mean anything.
ours=$("$fl" print -q --count --filter 'action=REJECT' "$file")
theirs=$(mawk '$13=="REJECT"' "$file" | wc -l)
greps=$(grep -c ' REJECT ' "$file")
echo "REJECT records: flowlens $ours, mawk $theirs, grep -c $greps"
if [ "$ours" != "$theirs" ] || [ "$ours" != "$greps" ]; then
  echo "the counts differ" >&2
  exit 1
fi

# print --count against mawk and grep, each writing to a file.
hyperfine -N --warmup 2 --runs "$runs" --output "$dir/scan-output.txt" --export-csv "$dir/scan.csv" \
  -n flowlens "$fl print -q --count --filter action=REJECT $file" \
  -n mawk "mawk \$13==\"REJECT\" $file" \
  -n grep "grep -c \" REJECT \" $file" >/dev/null
median() { awk -F, -v n="$1" '$1 == n { print $4 }' "$dir/scan.csv"; }
m_fl=$(median flowlens)
m_awk=$(median mawk)
m_grep=$(median grep)

# pairs, text and JSON Lines: the median wall time and the largest peak RSS of the runs.
pairs_run() {
  local kind=$1 i
  : >"$dir/pairs-$kind.times"
  for i in $(seq "$runs"); do
    /usr/bin/time -f '%e %M' -a -o "$dir/pairs-$kind.times" "$fl" pairs -q -o "$kind" "$file" >"$dir/pairs-$kind.out"
  done
  sort -n "$dir/pairs-$kind.times" | awk '{ t[NR] = $1; if ($2 > m) m = $2 } END { printf "%.2f s, %d MB peak RSS\n", t[int((NR + 1) / 2)], m / 1024 }'
}
p_text=$(pairs_run text)
p_json=$(pairs_run jsonl)

# The explorer: memcheck reads the same file (its name for it) into a 1,000,000 ring.
ln -sf "$(basename "$file")" "$dir/flows-v2-$records.log" # relative to DIR, which may itself be relative
mem=$(FLOWLENS_BIN="$fl" MEMCHECK_DIR="$dir" MEMCHECK_FORMAT=v2 MEMCHECK_READ="$records" scripts/memcheck.sh 1000000 2>&1 || true)
explorer=$(sed -n 's/.*: \([0-9]*\) MB resident once settled after loading, peak \([0-9]*\) MB while loading.*; \([0-9]*\) MB with the conversations open, peak \([0-9]*\) MB.*; load \(.*\)$/\1 MB once read and settled (\2 MB at the peak while reading), \3 MB with the conversations view open (load \5)/p' <<<"$mem")
[ -n "$explorer" ] || explorer="not measured: $mem"

echo
echo "| what | this machine | target |"
echo "|---|---|---|"
echo "| explorer holding a full 1,000,000-record ring (after reading all $records), resident memory | $explorer | <= 250 MB |"
echo "| \`flowlens pairs\` (text) | $p_text | <= 3 s, <= 400 MB |"
echo "| \`flowlens pairs -o jsonl\` | $p_json | <= 3 s, <= 400 MB |"
awk -v f="$m_fl" -v a="$m_awk" -v g="$m_grep" 'BEGIN {
  printf "| `print --count --filter action=REJECT` vs `mawk '"'"'$13==\"REJECT\"'"'"'` | %.2fx mawk'"'"'s time (%.0f vs %.0f ms) | <= 0.4x |\n", f / a, f * 1000, a * 1000
  printf "| the same vs `grep -c '"'"' REJECT '"'"'` (writing to a file) | %.2fx grep'"'"'s time (%.0f ms) | <= 1.2x |\n", f / g, g * 1000
}'
echo "| parse one default-format record | \`go test ./model/ -run '^\$' -bench ParseDefault -cpu 1\` | <= 60 ns |"
