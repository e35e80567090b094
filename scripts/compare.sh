#!/usr/bin/env bash
# Side-by-side: flowlens print --count against mawk and grep on the same generated file,
# as the README's performance section reports. Needs hyperfine and mawk
# (apt-get install hyperfine mawk). Usage: scripts/compare.sh [RECORDS] [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-2000000}
dir=${2:-$(mktemp -d)}
mkdir -p "$dir"
go build -o "$dir/flowlens" .
file="$dir/flows-$records.log"
if [ ! -s "$file" ]; then
  "$dir/flowlens" generate --records "$records" -o "$file"
fi
printf '%s records, %s MB; %s\n' "$records" "$(( $(stat -c %s "$file") / 1000000 ))" "$(nproc) CPUs"
rejects=$("$dir/flowlens" print -q --count --filter 'action=REJECT' "$file")
mawk_rejects=$(mawk '$13=="REJECT"' "$file" | wc -l)
echo "REJECT records: flowlens $rejects, mawk $mawk_rejects"
[ "$rejects" = "$mawk_rejects" ] || { echo "the counts differ" >&2; exit 1; }
hyperfine -N --output=pipe --warmup 2 --runs 10 --export-markdown "$dir/compare.md" \
  "$dir/flowlens print -q --count --filter 'action=REJECT' $file" \
  "mawk \$13==\"REJECT\" $file" \
  "grep -c REJECT $file"
cat "$dir/compare.md"

# The same records gzipped, as S3 delivers them.
gz="$file.gz"
[ -s "$gz" ] || gzip -c "$file" > "$gz"
hyperfine -N --output=pipe --warmup 1 --runs 8 --export-markdown "$dir/compare-gz.md" \
  "$dir/flowlens print -q --count --filter 'action=REJECT' $gz" \
  "sh -c 'zcat $gz | mawk \$13==\\\"REJECT\\\"'"
cat "$dir/compare-gz.md"
