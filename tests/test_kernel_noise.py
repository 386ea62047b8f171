"""End to end: TensorFlow's start-up chatter must not reach stored notebook
outputs once bnbook is imported, while genuine stderr still does.

Two real Jupyter kernels run (concurrently, to save time): one notebook that
imports bnbook first, and a control notebook that does not. The control proves
that, without the filter, the kernel really stores TensorFlow's noise as
stderr outputs, so the filtered test cannot pass vacuously.
"""

from __future__ import annotations

import asyncio
import re

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from bnbook.quiet import is_noise

GENUINE = "genuine stderr line"

TRAIN = """\
import keras, numpy as np
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="relu"),
                          keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse")
history = model.fit(np.random.rand(32, 4).astype("float32"),
                    np.random.rand(32, 1).astype("float32"), epochs=1, verbose=0)
print("trained", len(history.history["loss"]))
"""
GENUINE_CELL = f'import os; os.write(2, b"{GENUINE}\\n")\nimport time; time.sleep(0.5)'
SETTLE = "import time; time.sleep(1.0)"

# Fragments of TensorFlow's fd-2 notices (timestamps and thread ids vary).
NOISE_MARKERS = re.compile(
    r"absl::InitializeLog|cuda|cuInit|cpu_feature_guard|rebuild TensorFlow|"
    r"use_unbounded_threadpool|^[IWE]\d{4} \d\d:\d\d:\d+\.\d+",
    re.IGNORECASE | re.MULTILINE,
)


def _filtered_notebook():
    return new_notebook(cells=[
        # keras imported between the two: the filter must already be on after
        # "import bnbook" alone (setup() installs it too, but later).
        new_code_cell("import bnbook\nimport keras\nprint(bnbook.setup(0))"),
        new_code_cell(TRAIN),
        new_code_cell(GENUINE_CELL),
        new_code_cell(SETTLE),
    ])


def _control_notebook():
    return new_notebook(cells=[
        new_code_cell("import keras"),
        new_code_cell(TRAIN),
        new_code_cell(GENUINE_CELL),
        new_code_cell(SETTLE),
    ])


def _streams(nb, name):
    return [output["text"] for cell in nb.cells for output in cell.get("outputs", [])
            if output.get("output_type") == "stream" and output.get("name") == name]


def _errors(nb):
    return [f"{o['ename']}: {o['evalue']}" for cell in nb.cells for o in cell.get("outputs", [])
            if o.get("output_type") == "error"]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Both notebooks, executed in two kernels at once."""
    workdir = tmp_path_factory.mktemp("kernels")
    notebooks = {"filtered": _filtered_notebook(), "control": _control_notebook()}
    for nb in notebooks.values():
        nbformat.validate(nb)

    async def run_all():
        clients = [NotebookClient(nb, kernel_name="python3", timeout=300, startup_timeout=180,
                                  resources={"metadata": {"path": str(workdir)}})
                   for nb in notebooks.values()]
        await asyncio.gather(*(client.async_execute() for client in clients))

    with pytest.MonkeyPatch.context() as patch:
        # Whatever the caller's shell says, the kernels get TensorFlow's defaults.
        patch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
        # ipykernel stops forwarding fd 2 into cell outputs when it sees this
        # variable (it assumes pytest captures instead): hide it from the kernels.
        patch.delenv("PYTEST_CURRENT_TEST", raising=False)
        patch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        asyncio.run(run_all())
    return notebooks


def test_control_kernel_stores_tensorflow_noise(executed):
    """Without bnbook the kernel stores TensorFlow's notices as stderr outputs."""
    nb = executed["control"]
    assert _errors(nb) == []
    stderr = "".join(_streams(nb, "stderr"))
    assert "All log messages before absl::InitializeLog() is called" in stderr
    noisy = [line for line in stderr.splitlines() if is_noise(line)]
    assert len(noisy) >= 3, stderr
    assert GENUINE in stderr
    # The notices land in the cells' outputs, the first ones in the import cell.
    first_cell = "".join(o.get("text", "") for o in nb.cells[0].outputs
                         if o.get("name") == "stderr")
    assert "absl::InitializeLog" in first_cell


def test_filtered_kernel_stores_no_tensorflow_noise(executed):
    nb = executed["filtered"]
    assert _errors(nb) == []
    report = "".join(o.get("text", "") for o in nb.cells[0].outputs
                     if o.get("output_type") == "stream" and o.get("name") == "stdout")
    assert report.startswith("seed 0 | Keras 3.")
    assert "device " in report  # the environment report, in lines of the column
    assert "trained 1" in "".join(_streams(nb, "stdout"))

    stderr_outputs = _streams(nb, "stderr")
    for text in stderr_outputs:
        assert not NOISE_MARKERS.search(text), text
        assert not any(is_noise(line) for line in text.splitlines()), text
    # Genuine stderr still comes through (possibly in a later cell's outputs).
    assert GENUINE in "".join(stderr_outputs)


def test_filtered_and_control_differ_only_by_noise(executed):
    """What the filter removed is exactly the control's noise lines."""
    def lines(nb):
        return [line for text in _streams(nb, "stderr") for line in text.splitlines()]

    control, filtered = lines(executed["control"]), lines(executed["filtered"])
    assert [line for line in control if not is_noise(line)] == [GENUINE]
    assert filtered == [GENUINE]
