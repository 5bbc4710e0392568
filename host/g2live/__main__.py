# SPDX-License-Identifier: BSD-3-Clause
"""Allow `python -m g2live`."""

import sys

from g2live.cli import main

__all__: list[str] = []

sys.exit(main())
