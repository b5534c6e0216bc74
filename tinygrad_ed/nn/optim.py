"""`tinygrad_ed.nn.optim` is kept as an alias of `tinygrad_ed.optim` (one implementation)."""
from ..optim import *  # noqa: F401,F403
from ..optim import __all__  # noqa: F401
