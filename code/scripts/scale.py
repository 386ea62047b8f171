"""Run the chapters at a chosen scale with papermill; record times and results.

    python code/scripts/scale.py --scale 2                      # every chapter, TensorFlow
    python code/scripts/scale.py --scale 4 --backend jax --results results.json

Each chapter runs in a fresh kernel with its ``SCALE`` parameter set (1 is the
book as stored; larger runs more seeds, data, epochs or depth, as each
chapter's sizes cell says), under the chosen Keras backend. A progress bar
follows the chapter's cells here, and one per training run inside the
executed notebook. The results file (JSON) is rewritten after every chapter,
so an interrupted run keeps what it finished: per chapter its time, status,
environment report and every claim with whether it held at this scale.
The executed notebooks land in ``--output-dir``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebooks import ROOT, toc_notebooks  # noqa: E402

BACKENDS = ("tensorflow", "jax", "torch")


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def versions() -> dict[str, str]:
    """Versions of what the outputs depend on, from this interpreter."""
    from importlib import metadata

    found = {"python": platform.python_version()}
    for name in ("keras", "tensorflow", "jax", "jaxlib", "torch", "numpy", "papermill"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found


def hardware() -> str:
    """The GPU model(s) if ``nvidia-smi`` answers, else the CPU count."""
    try:
        gpus = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
                              capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        gpus = ""
    gpus = ", ".join(line.strip() for line in gpus.splitlines() if line.strip())
    return f"{gpus}; {os.cpu_count()} CPU cores" if gpus else f"CPU only, {os.cpu_count()} cores"


def run_chapter(path: Path, scale: int, output: Path, timeout: int, env: dict,
                kernel: str = "python3") -> dict:
    """Execute one chapter with papermill in a subprocess; return its record."""
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl", delete=False) as records:
        log = Path(records.name)
    env = {**env, "BNBOOK_RESULTS": str(log)}
    command = [sys.executable, "-m", "papermill", str(path), str(output),
               "-p", "SCALE", str(scale), "-k", kernel, "--cwd", str(path.parent),
               "--progress-bar", "--no-log-output", "--no-request-save-on-cell-execute",
               "--execution-timeout", str(timeout)]
    start = time.perf_counter()
    try:
        done = subprocess.run(command, env=env, timeout=timeout, stdout=subprocess.PIPE,
                              stderr=None, text=True)
        status = "ok" if done.returncode == 0 else "error"
        error = "" if status == "ok" else last_error(output) or done.stdout[-2000:]
    except subprocess.TimeoutExpired:
        status, error = "timeout", f"stopped after {timeout} s"
    seconds = time.perf_counter() - start
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    log.unlink()
    environment = next((r["report"] for r in lines if r["kind"] == "environment"), "")
    claims = [{key: r.get(key) for key in ("statement", "holds", "condition", "values")}
              for r in lines if r["kind"] == "claim"]
    return {"notebook": notebook_name(path), "seconds": round(seconds, 1),
            "status": status, "error": error, "environment": environment, "claims": claims}


def notebook_name(path: Path) -> str:
    """The notebook's path relative to the repository (absolute if outside it)."""
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def last_error(output: Path) -> str:
    """The error a failed papermill run stored in its output notebook, if any."""
    try:
        nb = json.loads(output.read_text())
    except (OSError, ValueError):
        return ""
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"{out['ename']}: {out['evalue']}"[:2000]
    return ""


def _as_done(pool: ThreadPoolExecutor, fn, items):
    """Results of ``fn`` over ``items`` in the order they finish."""
    return (future.result() for future in as_completed([pool.submit(fn, i) for i in items]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="chapters to run (default: every chapter of _toc.yml)")
    parser.add_argument("--scale", type=positive_int, required=True,
                        help="1 = book scale; larger = more seeds, data, epochs, depth")
    parser.add_argument("--backend", choices=BACKENDS,
                        default=os.environ.get("KERAS_BACKEND", "tensorflow"))
    parser.add_argument("--results", type=Path, default=None,
                        help="results file (default: _build/scale/<backend>-<scale>/results.json)")
    parser.add_argument("--output-dir", type=Path, default=None,
                        help="executed notebooks (default: beside the results file)")
    parser.add_argument("--timeout", type=positive_int, default=1800,
                        help="seconds allowed per chapter")
    parser.add_argument("--kernel", default="python3",
                        help="Jupyter kernel to run the chapters in (e.g. one in another "
                             "environment; its kernelspec must be on JUPYTER_PATH)")
    parser.add_argument("--strict-claims", action="store_true",
                        help="fail when any claim does not hold (not only on errors)")
    parser.add_argument("--jobs", type=positive_int, default=1,
                        help="chapters run at the same time, each in its own kernel "
                             "(their times then include the contention)")
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or toc_notebooks()
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    results_path = (args.results or ROOT / "_build" / "scale" / f"{args.backend}-{args.scale}"
                    / "results.json").resolve()
    output_dir = (args.output_dir or results_path.parent).resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    results_path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "KERAS_BACKEND": args.backend, "MPLBACKEND": "Agg"}
    started = time.perf_counter()
    results = {
        "scale": args.scale, "backend": args.backend, "hardware": hardware(),
        # This interpreter's versions: those of the kernel when it is this
        # environment's (python3); another kernel's are in each chapter's report.
        "versions" if args.kernel == "python3" else "runner_versions": versions(),
        "started": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "chapters": [],
    }
    results["jobs"] = args.jobs
    results["kernel"] = args.kernel
    print(f"scale {args.scale}, backend {args.backend}, {results['hardware']}, "
          f"{args.jobs} at a time", flush=True)
    order = {notebook_name(path): i for i, path in enumerate(paths)}

    def run(path: Path) -> dict:
        return run_chapter(path, args.scale, output_dir / path.name, args.timeout, env,
                           args.kernel)

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for record in _as_done(pool, run, paths):
            results["chapters"].append(record)
            results["chapters"].sort(key=lambda c: order[c["notebook"]])
            results["total_seconds"] = round(sum(c["seconds"] for c in results["chapters"]), 1)
            results["wall_seconds"] = round(time.perf_counter() - started, 1)
            results_path.write_text(json.dumps(results, indent=1) + "\n")
            failed = sum(not c["holds"] for c in record["claims"])
            print(f"{Path(record['notebook']).name}: {record['status']} in "
                  f"{record['seconds']:.1f} s; {len(record['claims']) - failed} of "
                  f"{len(record['claims'])} claims hold"
                  + (f"; {record['error']}" if record["error"] else ""), flush=True)
            for claim in record["claims"]:
                if not claim["holds"]:
                    print(f"  does not hold: {claim['statement']} {claim['values']}", flush=True)
    print(f"results: {results_path}")
    ok = all(c["status"] == "ok" for c in results["chapters"])
    if args.strict_claims:
        ok = ok and all(claim["holds"] for c in results["chapters"] for claim in c["claims"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
