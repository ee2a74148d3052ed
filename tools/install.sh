#!/usr/bin/env bash
# Set up mmzs3's virtual environment with the pinned OpenMMLab stack.
#
# Usage: bash tools/install.sh
#
# Environment variables:
#   MMZS3_VENV       where the virtual environment lives (default: <repo>/.venv)
#   MMZS3_CACHE_DIR  where the built mmcv wheel is cached (default: ~/.cache/mmzs3)
#   PYTHON           the interpreter that creates the environment (default: python3)
#   MAX_JOBS         parallel compile jobs for mmcv's ops (default: number of cores)
#
# The script is idempotent: a second run checks the imports and returns in seconds.
# It never lets a dependency replace the torch it installed (or found) first.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${MMZS3_VENV:-$ROOT/.venv}
CACHE=${MMZS3_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mmzs3}
PYTHON=${PYTHON:-python3}
MMCV_VERSION=2.1.0
export MAX_JOBS=${MAX_JOBS:-$(nproc)}
export PIP_DISABLE_PIP_VERSION_CHECK=1

log() { printf '[mmzs3-install %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# Run a long command with its output in a log file, printing a heartbeat with
# the log's last line every 30 seconds so the step is never silent.
run_logged() {
  local desc=$1 logfile=$2
  shift 2
  log "$desc (log: $logfile)"
  "$@" >"$logfile" 2>&1 &
  local pid=$! start=$SECONDS
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    if (((SECONDS - start) % 30 < 5)); then
      log "  ... $((SECONDS - start)) s: $(tail -n 1 "$logfile" | cut -c1-110)"
    fi
  done
  if ! wait "$pid"; then
    log "FAILED: $desc. Last lines of $logfile:"
    tail -n 30 "$logfile"
    exit 1
  fi
  log "  done in $((SECONDS - start)) s"
}

stamp_value() {
  cat "$ROOT"/requirements/*.txt "$ROOT/setup.py" "$ROOT/tools/install.sh" | sha256sum | cut -c1-16
}

stack_imports() {
  "$VPY" -c "import torch, torchvision, mmcv, mmcv.ops, mmengine, mmseg.models, mmdet.models, open_clip, mmzs3" \
    >/dev/null 2>&1
}

# --- 1. virtual environment -------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
  log "creating virtual environment $VENV"
  "$PYTHON" -m venv "$VENV"
fi
VPY=$VENV/bin/python
PIP=("$VPY" -m pip)
STAMP=$VENV/.mmzs3-installed

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(stamp_value)" ] && stack_imports; then
  log "environment $VENV is up to date"
  exit 0
fi

# --- 2. torch ---------------------------------------------------------------
if "$VPY" -c "import torch, torchvision" >/dev/null 2>&1; then
  log "found torch $("$VPY" -c 'import torch; print(torch.__version__)'); keeping it"
else
  run_logged "installing torch and torchvision (requirements/torch.txt)" "$VENV/torch-install.log" \
    "${PIP[@]}" install -r "$ROOT/requirements/torch.txt"
fi
# Pin whatever torch is there now, so that no later dependency can swap it.
CONSTRAINTS=$VENV/torch-constraints.txt
"$VPY" - >"$CONSTRAINTS" <<'PY'
import torch, torchvision
# '==X' without the local label ('+cu130') matches any local build of X.
print(f"torch=={torch.__version__.split('+')[0]}")
print(f"torchvision=={torchvision.__version__.split('+')[0]}")
PY
log "torch pinned: $(tr '\n' ' ' <"$CONSTRAINTS")"
run_logged "installing build tools (requirements/build.txt)" "$VENV/build-tools.log" \
  "${PIP[@]}" install -c "$CONSTRAINTS" -r "$ROOT/requirements/build.txt"

# --- 3. mmcv with compiled ops ------------------------------------------------
mmcv_ok() {
  "$VPY" -c "import mmcv, mmcv.ops; assert mmcv.__version__.startswith('2.1')" >/dev/null 2>&1
}

# The C++ standard torch's headers demand: C++20 for torch >= 2.10, else C++17.
cxx_standard() {
  "$VPY" - <<'PY'
import os, torch
inc = os.path.join(os.path.dirname(torch.__file__), 'include')
needs20 = 'C++20 or later' in open(
    os.path.join(inc, 'ATen', 'ATen.h'), errors='ignore').read()
print('c++20' if needs20 else 'c++17')
PY
}

build_mmcv_wheel() {
  local work std src
  work=$(mktemp -d)
  std=$(cxx_standard)
  run_logged "downloading the mmcv $MMCV_VERSION source archive" "$work/download.log" \
    "${PIP[@]}" download --no-deps --no-binary :all: "mmcv==$MMCV_VERSION" -d "$work"
  tar -xzf "$work"/mmcv-"$MMCV_VERSION".tar.gz -C "$work"
  src=$work/mmcv-$MMCV_VERSION
  # mmcv 2.1.0 hard-codes older standards; torch's headers refuse them.
  sed -i -E "s/-std=c\+\+1[47]/-std=$std/g" "$src/setup.py"
  log "building mmcv $MMCV_VERSION ops with -std=$std and $MAX_JOBS jobs (about 9 minutes on 2 cores)"
  MMCV_WITH_OPS=1 run_logged "compiling mmcv" "$work/build.log" \
    "${PIP[@]}" wheel -v --no-build-isolation --no-deps -w "$work/dist" "$src"
  mkdir -p "$CACHE/wheels"
  local whl
  whl=$(ls "$work"/dist/mmcv-*.whl)
  cp "$whl" "$CACHE/wheels/.partial-$$" && mv "$CACHE/wheels/.partial-$$" "$CACHE/wheels/$(basename "$whl")"
  rm -rf "$work"
  log "cached $CACHE/wheels/$(basename "$whl")"
}

if mmcv_ok; then
  log "found mmcv $("$VPY" -c 'import mmcv; print(mmcv.__version__)') with ops; keeping it"
else
  PYTAG=$("$VPY" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
  TORCHTAG=$("$VPY" -c 'import torch; print(torch.__version__.split("+")[0])')
  WHEEL_DIR=$CACHE/wheels
  WHEEL=$(ls "$WHEEL_DIR"/mmcv-"$MMCV_VERSION"-"$PYTAG"-*.whl 2>/dev/null | head -n 1 || true)
  # A wheel is only valid for the torch it was compiled against.
  if [ -n "$WHEEL" ] && [ "$(cat "$WHEEL_DIR/torch-version-$PYTAG" 2>/dev/null)" != "$TORCHTAG" ]; then
    log "cached mmcv wheel was built for another torch; rebuilding"
    WHEEL=""
  fi
  if [ -z "$WHEEL" ]; then
    build_mmcv_wheel
    echo "$TORCHTAG" >"$WHEEL_DIR/torch-version-$PYTAG"
    WHEEL=$(ls "$WHEEL_DIR"/mmcv-"$MMCV_VERSION"-"$PYTAG"-*.whl | head -n 1)
  else
    log "using cached wheel $WHEEL"
  fi
  run_logged "installing $(basename "$WHEEL")" "$VENV/mmcv-install.log" \
    "${PIP[@]}" install -c "$CONSTRAINTS" "$WHEEL"
fi

# --- 4. the rest of the stack and mmzs3 ---------------------------------------
run_logged "installing mmengine, mmseg, mmdet, open_clip, the web demo and test tools" "$VENV/stack-install.log" \
  "${PIP[@]}" install -c "$CONSTRAINTS" -r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/tests.txt" \
  -r "$ROOT/requirements/demo.txt"
run_logged "installing mmzs3 in editable mode" "$VENV/mmzs3-install.log" \
  "${PIP[@]}" install -c "$CONSTRAINTS" --no-deps --no-build-isolation -e "$ROOT"

"$VPY" -c "import torch, mmcv, mmcv.ops, mmengine, mmseg, mmdet, open_clip, mmzs3; \
print('torch', torch.__version__, '| mmcv', mmcv.__version__, '| mmengine', mmengine.__version__, \
'| mmseg', mmseg.__version__, '| mmdet', mmdet.__version__, '| open_clip', open_clip.__version__, \
'| mmzs3', mmzs3.__version__)"
stamp_value >"$STAMP"
log "environment ready: $VENV"
