"""Course package of *Normalization and Batch Normalization, executed*.

Import it before Keras. Importing it fixes TensorFlow's CPU thread pools and
instruction set (``bnbook.repro``), so the numbers do not depend on the machine,
and, inside a Jupyter kernel, installs the stderr filter, so the start-up
chatter that TensorFlow writes straight to the process's stderr never reaches
a stored notebook output.
"""

from bnbook.quiet import in_notebook_kernel, install_stderr_filter
from bnbook.repro import pin_cpu_numerics

pin_cpu_numerics()
if in_notebook_kernel():
    install_stderr_filter()

from bnbook.claims import claim  # noqa: E402
from bnbook.data import Splits, load_dataset  # noqa: E402
from bnbook.repro import environment_report, setup  # noqa: E402
from bnbook.stats import seed_summary, summarize  # noqa: E402
from bnbook.training import fit_quiet, history_table  # noqa: E402
from bnbook import exercises  # noqa: E402  (bnbook.exercises.check, in every chapter)

__version__ = "0.1.0"

__all__ = [
    "Splits",
    "claim",
    "environment_report",
    "exercises",
    "fit_quiet",
    "history_table",
    "install_stderr_filter",
    "load_dataset",
    "seed_summary",
    "setup",
    "summarize",
]
