#!/bin/sh
# Seeds, builds once, then fuzzes every target for a short while.
# Exits non-zero if any target crashed (the input is in artifacts/<target>/).
#
# Usage: importers/fuzz/run.sh [seconds-per-target]
# The default, 8 seconds, runs the 7 targets in about a minute.
set -eu
cd "$(dirname "$0")"
seconds=${1:-8}

./seed.sh
cargo +nightly fuzz build
failed=""
# ofsted_xls is left out: the XLS pre-scan checks only the compound file
# (safety/cfb.rs), not the sheets, and calamine's XLS reader aborts within
# seconds on a cell far from the others, which only the parser process's
# memory limit contains (docs/security.md, "Fuzzing"). Run it by hand.
for target in $(cargo +nightly fuzz list | grep -vx ofsted_xls); do
    case $target in
        ofsted_csv | postcodes) dict="" ;;
        *) dict="-dict=$PWD/spreadsheet.dict" ;;
    esac
    echo "== $target: ${seconds}s"
    # -rss_limit_mb also caps any one allocation, so calamine asking for a
    # huge grid is reported at once.
    if ! cargo +nightly fuzz run "$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 \
        -timeout=30 -print_final_stats=1 $dict; then
        failed="$failed $target"
    fi
done
if [ -n "$failed" ]; then
    echo "Crashes in:$failed (inputs under importers/fuzz/artifacts/)" >&2
    exit 1
fi
