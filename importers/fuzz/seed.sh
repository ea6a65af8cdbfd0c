#!/bin/sh
# Copies the repository's fixtures into corpus/<target>/ as seed inputs.
# Files over 64 KiB are left out: libFuzzer runs with -max_len=65536, and
# the big hostile fixtures (million_rows.xlsx, zip_bomb.xlsx) would only
# slow every execution; unit tests cover them.
set -eu
cd "$(dirname "$0")"
fixtures=../../tests/fixtures
demo=../../data/demo

seed() {
    target=$1
    shift
    mkdir -p "corpus/$target"
    for file in "$@"; do
        if [ -f "$file" ] && [ "$(wc -c <"$file")" -le 65536 ]; then
            cp "$file" "corpus/$target/"
        fi
    done
}

seed ofsted_csv "$fixtures"/ofsted/*.csv "$fixtures"/hostile/*.csv "$demo"/ofsted/*.csv
seed ofsted_xlsx "$fixtures"/ofsted/*.xlsx "$fixtures"/returns/*.xlsx "$fixtures"/hostile/*.xlsx
seed ofsted_ods "$fixtures"/ofsted/*.ods "$fixtures"/returns/*.ods "$fixtures"/hostile/*.ods
seed ofsted_xls "$fixtures"/ofsted/*.xls "$fixtures"/returns/*.xls "$fixtures"/hostile/*.xls
seed returns "$fixtures"/returns/*.csv "$fixtures"/returns/*.xlsx "$fixtures"/returns/*.ods "$fixtures"/returns/*.xls
# The postcode tables are bigger than that: their first lines will do.
mkdir -p corpus/postcodes
for file in "$demo"/geo/*.csv; do
    head -n 300 "$file" >"corpus/postcodes/$(basename "$file")"
done
seed safety_xlsx "$fixtures"/*/*.xlsx
seed safety_ods "$fixtures"/*/*.ods
