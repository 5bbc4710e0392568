"""Allow `python -m g2live`."""

import sys

from g2live.cli import main

sys.exit(main())
