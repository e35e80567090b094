#!/usr/bin/env bash
# Does the --capacity help tell the truth? Loads RECORDS generated records into the
# explorer (in tmux, the real binary, --capacity RECORDS) and reads its resident memory
# from /proc, as `top` shows it: the peak while the records arrived (VmHWM), what is
# resident once the file is read and the explorer has settled (fifteen seconds later),
# and the same with the conversations view open. The help's figures (for the format:
# default-format records, or v5 records) are what records cost while they arrive; each
# measurement must be within the bounds below of them. The bounds are generous (the
# measurement must lie within 0.5x and 1.5x of the estimate): the check is there to
# catch a help that drifts from the truth, not the noise of a shared machine.
#
# Not a unit test: it needs tmux, a gigabyte or more of memory, and minutes.
# Usage: scripts/memcheck.sh [RECORDS ...]   (default: 1000000 5000000)
# Each RECORDS is the capacity and, unless MEMCHECK_READ says more, the records read.
# MEMCHECK_FORMAT=v2|v5 (default v5) is the generated format; MEMCHECK_READ=N reads N
# records whatever the capacity (the engine issue's row: MEMCHECK_FORMAT=v2
# MEMCHECK_READ=2391762 scripts/memcheck.sh 1000000, the ring full and 1.4M dropped).
# FLOWLENS_BIN=path skips the build; MEMCHECK_DIR=dir keeps the generated files.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tmux >/dev/null || { echo "memcheck: needs tmux" >&2; exit 2; }
dir=${MEMCHECK_DIR:-$(mktemp -d)}
mkdir -p "$dir"
bin=${FLOWLENS_BIN:-$dir/flowlens}
[ -n "${FLOWLENS_BIN:-}" ] || go build -o "$bin" .
[ $# -gt 0 ] || set -- 1000000 5000000

# The estimate, as the help says it: "about N bytes resident per record, M with the
# conversations view open, plus about B MB; v5 records: about N5 and M5 bytes".
help=$("$bin" --help | tr -s ' \n' ' ')
format=${MEMCHECK_FORMAT:-v5}
if [ "$format" = v5 ]; then
  per=$(sed -n 's/.*v5 records: about \([0-9]*\) and [0-9]* bytes.*/\1/p' <<<"$help")
  perPairs=$(sed -n 's/.*v5 records: about [0-9]* and \([0-9]*\) bytes.*/\1/p' <<<"$help")
else
  per=$(sed -n 's/.*about \([0-9]*\) bytes resident per record.*/\1/p' <<<"$help")
  perPairs=$(sed -n 's/.*bytes resident per record, \([0-9]*\) with the conversations view.*/\1/p' <<<"$help")
fi
base=$(sed -n 's/.*plus about \([0-9]*\) MB.*/\1/p' <<<"$help")
[ -n "$per" ] && [ -n "$perPairs" ] && [ -n "$base" ] || { echo "memcheck: the --capacity help gives no estimate to check" >&2; exit 2; }

sock=""
tm() { tmux -S "$sock" -f /dev/null "$@"; }
trap '[ -z "$sock" ] || tm kill-server 2>/dev/null || true' EXIT

# wait_for PATTERN [SECONDS]: poll the screen until PATTERN (grep -E) is on it.
wait_for() {
  local deadline=$((SECONDS + ${2:-600}))
  while ! tm capture-pane -p -t mem | grep -qE -- "$1"; do
    [ $SECONDS -lt $deadline ] || { echo "memcheck: the screen never showed '$1':" >&2; tm capture-pane -p -t mem >&2; exit 1; }
    sleep 0.5
  done
}
rss() { awk '/^VmRSS/ {printf "%.0f\n", $2 * 1024}' "/proc/$1/status"; }
hwm() { awk '/^VmHWM/ {printf "%.0f\n", $2 * 1024}' "/proc/$1/status"; }
mb() { echo $(( $1 / 1000000 )); }

fail=0
for n in "$@"; do
  nread=${MEMCHECK_READ:-$n}
  file="$dir/flows-$format-$nread.log"
  [ -s "$file" ] || "$bin" generate --records "$nread" --format "$format" --header -o "$file"
  [ -z "$sock" ] || tm kill-server 2>/dev/null || true
  sock="$dir/tmux-$n.sock" # a server of its own: the last one may still be going away
  tm new-session -d -s mem -x 200 -y 50 "exec $bin --capacity $n --log-file $dir/flowlens.log $file"
  pid=$(tm display-message -p -t mem '#{pane_pid}')
  wait_for "● done"
  peak=$(hwm "$pid") # the most resident while the records arrived: what a stream costs
  # The last batch drawn, and the memory the collector no longer needs returned: the
  # explorer does that once its heap has been steady for three seconds (returnIdleMemory
  # in internal/cli), at most every ten.
  sleep 15
  loaded=$(rss "$pid")
  tm send-keys -t mem p
  wait_for "rows 1-| 1-[0-9,]+ of " # the conversations listed (as the title counts them)
  while tm capture-pane -p -t mem | grep -qE 'listing conversations|sorting'; do sleep 0.5; done
  sleep 15
  opened=$(rss "$pid")
  peakPairs=$(hwm "$pid")
  tm send-keys -t mem q
  want=$(( base * 1048576 + n * per ))
  wantPairs=$(( base * 1048576 + n * perPairs ))
  printf '%s records held (%s %s records read): %s MB resident once settled after loading, peak %s MB while loading (help: %s MB); %s MB with the conversations open, peak %s MB (help: %s MB); %s and %s bytes a record settled; load %s\n' \
    "$n" "$nread" "$format" "$(mb "$loaded")" "$(mb "$peak")" "$(mb "$want")" "$(mb "$opened")" "$(mb "$peakPairs")" "$(mb "$wantPairs")" \
    "$(( (loaded - base * 1048576) / n ))" "$(( (opened - base * 1048576) / n ))" "$(cut -d' ' -f1-3 /proc/loadavg)"
  for pair in "$peak:$want" "$loaded:$want" "$peakPairs:$wantPairs" "$opened:$wantPairs"; do
    got=${pair%%:*} est=${pair##*:}
    if [ $(( got * 2 )) -lt "$est" ] || [ $(( got * 2 )) -gt $(( est * 3 )) ]; then
      echo "memcheck: FAIL: $(mb "$got") MB measured, $(mb "$est") MB estimated: outside 0.5x-1.5x; update the estimate in internal/cli/explorer.go (residentPerRecord...)" >&2
      fail=1
    fi
  done
done
exit $fail
