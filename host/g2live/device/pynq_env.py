# SPDX-License-Identifier: BSD-3-Clause
"""Import the ``pynq`` package: the board's own, else the copy ``make setup`` puts in the checkout.

On a PYNQ image ``pynq`` is installed system-wide and is used as is. Off the board (development,
CI, the stand-in board of ``g2live.device.pynq_standin``) ``pynq`` 4.0.0 cannot live in the dev
environment: it pins ``numpy<2`` and ``pycparser<3``, and its ``pynqutils`` imports
``pkg_resources`` (gone from setuptools 81 on) and pins ``setuptools<=80``. ``make setup``
therefore installs it with ``--no-deps`` into ``.venv/pynq-site/`` (with setuptools 80 for
``pkg_resources`` only) and a ``.pth`` file appends that folder to ``sys.path`` *after* the
environment's own packages, so numpy, setuptools and the rest stay the environment's and
``import pynq.lib.dma`` works in the venv; :func:`import_pynq` appends it itself where no ``.pth``
did (an environment made another way).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from types import ModuleType

__all__ = ["PYNQ_SITE", "PynqUnavailable", "import_pynq"]

# Inside the environment (make setup), not the source tree: works for any checkout or install.
PYNQ_SITE = Path(sys.prefix) / "pynq-site"
INSTALL_HINT = "run `make setup` (installs pynq 4.0.0 into .venv/pynq-site), or run on a PYNQ image"


class PynqUnavailable(ImportError):
    """Neither a system ``pynq`` nor the venv's ``pynq-site`` copy (.venv/pynq-site) can be imported."""


def import_pynq() -> ModuleType:
    """The ``pynq`` package with ``pynq.lib.dma`` imported (raises :class:`PynqUnavailable`)."""
    try:
        import pynq.lib.dma  # noqa: F401

        return sys.modules["pynq"]
    except ImportError as exc:
        first = exc
    if (PYNQ_SITE / "pynq").is_dir():
        if str(PYNQ_SITE) not in sys.path:
            sys.path.append(str(PYNQ_SITE))  # after site-packages: the environment's packages win
        for name in [m for m in sys.modules if m == "pynq" or m.startswith("pynq.")]:
            del sys.modules[name]  # a half-imported system attempt
        try:
            with warnings.catch_warnings():  # pynqutils imports the deprecated pkg_resources
                warnings.filterwarnings("ignore", "pkg_resources is deprecated", DeprecationWarning)
                import pynq.lib.dma  # noqa: F401

            return sys.modules["pynq"]
        except ImportError as exc:
            raise PynqUnavailable(f"pynq from {PYNQ_SITE} does not import ({exc}); {INSTALL_HINT}") from exc
    raise PynqUnavailable(f"pynq is not installed ({first}); {INSTALL_HINT}") from first
