#!/usr/bin/env bash
# Pack what an executor (or a container image) needs to run actorlens into one archive:
#
#   actorlens-bundle/
#     actorlens     the release binary (it finds models/ next to itself)
#     models/       default-ner, syntax, gazetteer, lexicons
#     lib/          the libtorch libraries it was linked against (plus libonnxruntime.so when
#                   `make setup` fetched it; the binary looks for that in lib/ next to itself)
#
# Usage: examples/spark/make_bundle.sh [OUT.tar.gz]   (default build/actorlens-bundle.tar.gz)
# Then: spark-submit --archives OUT.tar.gz#bundle ... actorlens_spark.py IN OUT \
#         --binary bundle/actorlens-bundle/actorlens --lib-dir bundle/actorlens-bundle/lib
# The binary's RUNPATH points at this machine's libtorch (~/.cache/actorlens via .libtorch), which
# an executor does not have: --lib-dir puts lib/ on LD_LIBRARY_PATH instead. The executors need a
# glibc/libstdc++ at least as new as this machine's (build on the oldest OS you deploy to, or
# use a container image).
set -euo pipefail

REPO="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="${1:-$REPO/build/actorlens-bundle.tar.gz}"
BIN="${ACTORLENS_BIN:-$REPO/target/release/actorlens}"
LIBTORCH="${LIBTORCH_LIB:-$REPO/.libtorch/lib}"
ORT="$REPO/.onnxruntime/lib"

[ -x "$BIN" ] || { echo "error: $BIN is missing: run make build" >&2; exit 2; }
[ -d "$LIBTORCH" ] || { echo "error: $LIBTORCH is missing: run make setup" >&2; exit 2; }
[ -f "$REPO/models/default-ner/config.json" ] || { echo "error: models/default-ner is missing: run make model" >&2; exit 2; }

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
b="$stage/actorlens-bundle"
mkdir -p "$b/lib"
cp "$BIN" "$b/actorlens"
cp -rL "$REPO/models" "$b/models"
cp -L "$LIBTORCH"/*.so* "$b/lib/"
if [ -d "$ORT" ]; then cp -L "$ORT"/libonnxruntime.so* "$b/lib/" 2>/dev/null || true; fi
# Refuse to pack a binary that needs a library the bundle does not carry (beyond the system's).
missing="$(LD_LIBRARY_PATH="$b/lib" ldd "$b/actorlens" | grep 'not found' || true)"
[ -z "$missing" ] || { echo "error: unresolved libraries: $missing" >&2; exit 1; }

mkdir -p "$(dirname "$OUT")"
tar -C "$stage" -czf "$OUT.tmp" actorlens-bundle
mv "$OUT.tmp" "$OUT"
echo "wrote $OUT ($(du -h "$OUT" | cut -f1)): actorlens, models/, lib/ ($(ls "$b/lib" | tr '\n' ' '))"
