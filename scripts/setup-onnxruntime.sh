#!/usr/bin/env bash
# Fetch ONNX Runtime 1.31.1's shared library (the API version the `ort` crate 2.0.0-rc.15 is
# built for) from the PyPI `onnxruntime` wheel into a cache outside git, once per machine, and
# link it as .onnxruntime. The binary loads it at run time (the `ort` crate's load-dynamic mode);
# build.rs embeds its path. Microsoft's release downloads are not reachable here; the wheel
# carries the same CPU library.
set -euo pipefail

VERSION=1.31.1
CACHE="${ACTORLENS_CACHE:-$HOME/.cache/actorlens}"
DEST="$CACHE/onnxruntime-$VERSION"
WHEELS="$CACHE/wheels"
PY="${PYTHON:-python3}"
REPO="$(cd "$(dirname "$0")/.." && pwd)"
link() { ln -sfn "$DEST" "$REPO/.onnxruntime"; }

if [ -f "$DEST/.complete" ]; then
  link
  echo "onnxruntime $VERSION ready at $DEST (linked as .onnxruntime)"
  exit 0
fi
mkdir -p "$WHEELS"
echo "Downloading onnxruntime==$VERSION wheel into $WHEELS ..."
"$PY" -m pip download --quiet --no-deps --only-binary=:all: -d "$WHEELS" \
  --python-version 3.11 --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
  --platform manylinux_2_17_x86_64 "onnxruntime==$VERSION"
tmp="$(mktemp -d "$CACHE/.assemble-ort.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
"$PY" - "$WHEELS" "$tmp" "$VERSION" <<'PYEOF'
import glob, os, shutil, sys, zipfile
wheels, out, version = sys.argv[1:4]
found = sorted(glob.glob(os.path.join(wheels, f"onnxruntime-{version}-*.whl")))
if not found:
    sys.exit(f"missing onnxruntime-{version} wheel in {wheels}")
lib = f"libonnxruntime.so.{version}"
os.makedirs(os.path.join(out, "lib"))
with zipfile.ZipFile(found[-1]) as z:
    names = [n for n in z.namelist() if os.path.basename(n) in (lib, "LICENSE", "ThirdPartyNotices.txt")]
    for n in names:
        target = os.path.join(out, "lib" if n.endswith(lib) else "", os.path.basename(n))
        with z.open(n) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
if not os.path.exists(os.path.join(out, "lib", lib)):
    sys.exit(f"{lib} not found in {found[-1]}")
os.symlink(lib, os.path.join(out, "lib", "libonnxruntime.so"))
PYEOF
touch "$tmp/.complete"
rm -rf "$DEST"
mv "$tmp" "$DEST"
trap - EXIT
link
echo "onnxruntime $VERSION ready at $DEST (linked as .onnxruntime)"
