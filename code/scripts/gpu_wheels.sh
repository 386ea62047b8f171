#!/usr/bin/env bash
# Fill .whl/ (git-ignored) with every wheel the GPU machine lacks, for Python 3.12
# on manylinux x86-64: Keras and its missing dependencies, papermill, the Jupyter
# kernel stack (ipykernel, ipython, ...), mlxtend, and a wheel of the course package.
#
#     bash code/scripts/gpu_wheels.sh          # from the repository root
#
# The GPU machine already has jax/jaxlib (CUDA), numpy, scipy, pandas, matplotlib,
# scikit-learn, tqdm, pyyaml, rich, h5py, absl-py, ml-dtypes, packaging, pygments,
# psutil, requests, aiohttp, attrs, python-dateutil, typing-extensions, joblib, ...:
# those are not shipped. Versions come from requirements.txt (the CI freeze) where it
# pins them (all of them). Only one version of each package is kept.
# code/scripts/gpu_suite.sh installs the result on the GPU machine.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
DEST=.whl
PY=${PYTHON:-python3}                      # runs `pip download`
BUILD_PY=${BUILD_PYTHON:-$ROOT/.venv/bin/python}  # has setuptools>=77 for pyproject.toml

# What the GPU machine lacks (closure of keras, papermill, ipykernel, mlxtend).
PACKAGES=(
  keras namex optree
  papermill entrypoints tenacity
  nbclient nbformat fastjsonschema jsonschema jsonschema-specifications referencing rpds-py
  jupyter_client jupyter_core platformdirs traitlets pyzmq tornado
  ipykernel comm debugpy nest-asyncio2 matplotlib-inline
  ipython ipython_pygments_lexers jedi parso pexpect ptyprocess prompt_toolkit wcwidth
  stack_data executing asttokens pure_eval
  mlxtend
)

norm() { echo "$1" | tr '[:upper:]' '[:lower:]' | tr '_.' '--'; }

pinned() {  # version pinned for $1 in requirements.txt, or empty
  local want; want=$(norm "$1")
  while IFS= read -r line; do
    line=${line%%#*}; line=${line// /}
    [[ $line == *==* ]] || continue
    if [[ $(norm "${line%%==*}") == "$want" ]]; then echo "${line#*==}"; return; fi
  done < requirements.txt
}

BASE_PLATFORMS=(--platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64
  --platform manylinux1_x86_64)
MORE_PLATFORMS=()
for n in $(seq 5 39); do
  case $n in 17|27|28) ;; *) MORE_PLATFORMS+=(--platform "manylinux_2_${n}_x86_64") ;; esac
done

download() {
  # (the grep drops pip's noise about find-links folders that lack a package)
  "$PY" -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp "$@" -d "$DEST" "$SPEC" \
    2> >(grep -v 'is neither a file nor a directory' >&2)
}

mkdir -p "$DEST"

declare -A KEEP=()   # normalized wheel-name prefix -> wanted version
for pkg in "${PACKAGES[@]}"; do
  version=$(pinned "$pkg")
  if [[ -z $version ]]; then echo "$pkg is not pinned in requirements.txt" >&2; exit 1; fi
  KEEP[$(norm "$pkg" | tr '-' '_')]=$version
  SPEC="$pkg==$version"
  echo "--- $SPEC"
  if ! download "${BASE_PLATFORMS[@]}" -q; then
    echo "    retrying $SPEC with manylinux_2_5..2_39" >&2
    download "${BASE_PLATFORMS[@]}" "${MORE_PLATFORMS[@]}" -q
  fi
done

# The course package, built from a copy so that no build/ lands in the work tree.
KEEP[bnbook]=$("$BUILD_PY" -c 'import tomllib; print(tomllib.load(open("pyproject.toml","rb"))["project"]["version"])')
SRC=$(mktemp -d)
trap 'rm -rf "$SRC"' EXIT
mkdir -p "$SRC/code"
cp pyproject.toml README.md LICENSE "$SRC/"
cp -r code/bnbook "$SRC/code/"
find "$SRC" -name __pycache__ -prune -exec rm -rf {} +
rm -f "$DEST"/bnbook-*.whl
echo "--- bnbook==${KEEP[bnbook]} (from the work tree)"
"$BUILD_PY" -m pip wheel -q --no-deps --no-build-isolation -w "$DEST" "$SRC"

# Keep only the wanted version of each package; drop anything else.
for whl in "$DEST"/*.whl; do
  base=$(basename "$whl")
  name=$(echo "${base%%-*}" | tr '[:upper:]' '[:lower:]' | tr '.-' '__')
  ver=$(echo "$base" | cut -d- -f2)
  if [[ ${KEEP[$name]:-} != "$ver" ]]; then echo "removing $base (not wanted)"; rm -f "$whl"; fi
done
for name in "${!KEEP[@]}"; do
  count=$(find "$DEST" -maxdepth 1 -iname "${name}-${KEEP[$name]}-*.whl" | wc -l)
  if [[ $count -ne 1 ]]; then echo "expected one wheel of $name ${KEEP[$name]}, found $count" >&2; exit 1; fi
done

ls -1 "$DEST"
echo "$(ls "$DEST"/*.whl | wc -l) wheels, total $(du -cb "$DEST"/*.whl | tail -1 | awk '{printf "%.1f MiB", $1/1048576}')"
