#!/usr/bin/env bash
# Assemble a CPU-only libtorch 2.4.0 (the exact version tch 0.17 / rust-bert 0.23 need) from
# PyPI wheels into a cache outside git, once per machine. Pytorch.org is unreachable here, so the
# official libtorch zip is not an option; the torch wheel carries the same libraries.
set -euo pipefail

CACHE="${ACTORLENS_CACHE:-$HOME/.cache/actorlens}"
DEST="$CACHE/libtorch-2.4.0"
WHEELS="$CACHE/wheels"
PY="${PYTHON:-python3}"

REPO="$(cd "$(dirname "$0")/.." && pwd)"
link() { ln -sfn "$DEST" "$REPO/.libtorch"; }

if [ -f "$DEST/.complete" ]; then
  link
  echo "libtorch 2.4.0 ready at $DEST (linked as .libtorch)"
  exit 0
fi

mkdir -p "$WHEELS"
echo "Downloading pinned wheels into $WHEELS ..."
"$PY" -m pip download --quiet --no-deps --only-binary=:all: -d "$WHEELS" \
  --python-version 3.11 --platform manylinux1_x86_64 \
  torch==2.4.0 nvidia-cuda-runtime-cu12==12.1.105 nvidia-cuda-cupti-cu12==12.1.105

tmp="$(mktemp -d "$CACHE/.assemble.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
"$PY" - "$WHEELS" "$tmp" <<'PYEOF'
import glob, os, shutil, sys, zipfile
wheels, out = sys.argv[1], sys.argv[2]
os.makedirs(os.path.join(out, "lib"))
want_libs = {"libtorch_cpu.so", "libtorch.so", "libc10.so", "libcudart.so.12", "libcupti.so.12"}
def wheel(pattern):
    found = sorted(glob.glob(os.path.join(wheels, pattern)))
    if not found:
        sys.exit(f"missing wheel {pattern} in {wheels}")
    return found[-1]
for w in [wheel("torch-2.4.0-*.whl"), wheel("nvidia_cuda_runtime_cu12-12.1.105-*.whl"),
          wheel("nvidia_cuda_cupti_cu12-12.1.105-*.whl")]:
    with zipfile.ZipFile(w) as z:
        for info in z.infolist():
            name = info.filename
            base = os.path.basename(name)
            if name.startswith("torch/include/") and not name.endswith("/"):
                target = os.path.join(out, "include", name[len("torch/include/"):])
            elif base in want_libs or (name.startswith("torch/lib/libgomp") and ".so" in base):
                target = os.path.join(out, "lib", base)
            else:
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with z.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
missing = [l for l in want_libs if not os.path.exists(os.path.join(out, "lib", l))]
if missing:
    sys.exit(f"libraries not found in wheels: {missing}")
PYEOF
touch "$tmp/.complete"
rm -rf "$DEST"
mv "$tmp" "$DEST"
trap - EXIT
link
du -sh "$DEST"
echo "libtorch 2.4.0 assembled at $DEST (linked as .libtorch)"
