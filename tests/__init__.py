"""The test suite; its folders mirror the package tree (tests/schemas ↔ schemas/, ...).

Tests import ``lienthong`` as installed (``make setup``: a strict editable install that
maps the top-level folders into one namespace). ``python -m pytest`` from the checkout's
root puts the working directory first on ``sys.path``, where the folder ``lienthong/``
alone would shadow that namespace (it holds only the processes and tools), so it is taken
off again here, before anything imports ``lienthong``; ``tests`` is imported by then.
"""

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _ROOT]
