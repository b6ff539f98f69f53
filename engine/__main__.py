"""``python -m engine`` is ``podeval``."""

import sys

from .cli import main

sys.exit(main())
