"""Allow `python -m g2live.cli`."""

import sys

from g2live.cli import main

sys.exit(main())
