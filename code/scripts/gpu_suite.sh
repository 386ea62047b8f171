#!/usr/bin/env bash
# Run the chapters at scale on the GPU machine (JAX backend), from the repository root,
# with the wheels of code/scripts/gpu_wheels.sh carried in .whl/.
#
#     OUT=/some/dir bash code/scripts/gpu_suite.sh [NOTEBOOK ...]
#     SCALE=3 CHAPTER_TIMEOUT=150 SUITE_TIMEOUT=520 by default; arguments go to scale.py
#     (notebooks, --jobs N); no notebook named = every chapter.
#
# Writes into $OUT: env.txt (GPU, versions, jax.devices(), kernelspec), log.txt (the
# runner's output), results.json (rewritten after every chapter, so a run that is cut
# short still returns what it finished) and notebooks.tar.gz (the executed notebooks).
# The machine has no network and no TensorFlow: everything it lacks is installed from
# .whl/ into /tmp/site, which goes on PYTHONPATH (for this shell, papermill and the
# kernels it starts). The course package is imported from the work tree's code/
# (as the editable install does in CI); the bnbook wheel in /tmp/site is the fallback.
set -euo pipefail

: "${OUT:?set OUT to the folder whose files come back}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
mkdir -p "$OUT"
SITE=/tmp/site
PY="$(command -v python3)"

step() { echo "=== $*" >&2; }

step "installing .whl/ into $SITE"
ls .whl/*.whl > /dev/null   # fails visibly if the wheels were not carried
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target "$SITE" .whl/*.whl

export PYTHONPATH="$ROOT/code:$SITE${PYTHONPATH:+:$PYTHONPATH}"
export KERAS_BACKEND=jax MPLBACKEND=Agg PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
# Writable places for Jupyter, IPython and Matplotlib whatever $HOME is.
export JUPYTER_PATH=/tmp/jupyter/share JUPYTER_DATA_DIR=/tmp/jupyter/data \
  JUPYTER_CONFIG_DIR=/tmp/jupyter/config JUPYTER_RUNTIME_DIR=/tmp/jupyter/runtime \
  JUPYTER_PLATFORM_DIRS=1 IPYTHONDIR=/tmp/ipython MPLCONFIGDIR=/tmp/mplconfig
mkdir -p "$JUPYTER_PATH/kernels/python3" "$JUPYTER_RUNTIME_DIR" "$IPYTHONDIR" "$MPLCONFIGDIR"

# The `python3` kernel: this interpreter, with the same PYTHONPATH. JUPYTER_PATH comes
# first in the kernelspec search, so this wins over any python3 kernelspec on the
# machine and over ipykernel's built-in one (which would be the same interpreter).
step "writing the python3 kernelspec"
python3 - "$JUPYTER_PATH/kernels/python3/kernel.json" "$PY" <<'EOF'
import json, os, sys
spec = {
    "argv": [sys.argv[2], "-m", "ipykernel_launcher", "-f", "{connection_file}"],
    "display_name": "Python 3 (ipykernel)",
    "language": "python",
    "env": {k: os.environ[k] for k in ("PYTHONPATH", "KERAS_BACKEND", "MPLBACKEND",
                                       "PYTHONUNBUFFERED", "XLA_PYTHON_CLIENT_PREALLOCATE")},
    "metadata": {"debugger": True},
}
with open(sys.argv[1], "w") as f:
    json.dump(spec, f, indent=1)
EOF

step "environment -> $OUT/env.txt"
{
  echo "## nvidia-smi -L"; nvidia-smi -L 2>&1 || echo "(nvidia-smi failed)"
  echo "## python3: $PY"; python3 -VV
  echo "## PYTHONPATH=$PYTHONPATH"
  python3 - <<'EOF'
import importlib, sys
from importlib import metadata
for name in ("jax", "jaxlib", "keras", "numpy", "scipy", "pandas", "scikit-learn",
             "matplotlib", "mlxtend", "papermill", "ipykernel", "ipython",
             "jupyter_client", "nbclient", "bnbook"):
    try:
        print(f"{name} {metadata.version(name)}")
    except metadata.PackageNotFoundError:
        print(f"{name} NOT INSTALLED")
import jax
print("jax.devices():", jax.devices())
import keras
print("keras backend:", keras.backend.backend())
import bnbook
print("bnbook from:", bnbook.__file__)
for module in ("papermill", "ipykernel", "mlxtend.data", "nbformat", "nbclient", "yaml",
               "tqdm", "sklearn.datasets", "scipy", "pandas", "matplotlib.pyplot"):
    importlib.import_module(module)
print("imports: ok")
from jupyter_client.kernelspec import KernelSpecManager
spec = KernelSpecManager().get_kernel_spec("python3")
print("python3 kernelspec:", spec.resource_dir, spec.argv)
import os
assert os.path.realpath(spec.argv[0]) == os.path.realpath(sys.executable), \
    "the python3 kernel is not this interpreter"
EOF
  echo "## pip check (informational)"; python3 -m pip check 2>&1 || true
} > "$OUT/env.txt" 2>&1 || { cat "$OUT/env.txt"; echo "environment check failed" >&2; exit 1; }
cat "$OUT/env.txt"

step "scale ${SCALE:-3}, ${CHAPTER_TIMEOUT:-150} s per chapter, ${SUITE_TIMEOUT:-520} s in all -> $OUT"
# The executed notebooks go into one archive: the device tool returns at most 8 files.
NOTEBOOKS=/tmp/scale-notebooks
rm -rf "$NOTEBOOKS"
rc=0
timeout "${SUITE_TIMEOUT:-520}" python3 code/scripts/scale.py --scale "${SCALE:-3}" --backend jax \
  --results "$OUT/results.json" --output-dir "$NOTEBOOKS" --timeout "${CHAPTER_TIMEOUT:-150}" \
  "$@" 2>&1 | tee "$OUT/log.txt" || rc=$?
echo "scale.py exit status: $rc" | tee -a "$OUT/log.txt"
tar -czf "$OUT/notebooks.tar.gz" -C "$NOTEBOOKS" . 2>/dev/null || true
exit "$rc"
