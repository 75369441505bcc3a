#!/usr/bin/env bash
# compare_emit.sh OLD_CRATEC NEW_CRATEC: `cratec build --emit ir` and
# `--emit loops` of every example at -O0 and -O2, old against new. A
# refactoring that claims "no change of behaviour" shows an empty diff here.
# Exit 0 when every output is identical.
set -euo pipefail
old=$1 new=$2
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for f in examples/*.crate; do
  for kind in ir loops; do
    for opt in -O0 -O2; do
      "$old" build "$f" --emit "$kind" "$opt" -o "$tmp/old" 2>&1
      "$new" build "$f" --emit "$kind" "$opt" -o "$tmp/new" 2>&1
      if cmp -s "$tmp/old" "$tmp/new"; then
        echo "same     $f --emit $kind $opt"
      else
        echo "DIFFERS  $f --emit $kind $opt"; status=1
        diff "$tmp/old" "$tmp/new" | head -20 || true
      fi
    done
  done
done
exit $status
