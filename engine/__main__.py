"""``python -m engine`` is ``podeval``."""

from .cli import console

console()
