"""Error types every layer raises (imported from below by the engine, the ops and nn)."""


class ShapeError(ValueError, RuntimeError):
    """Operands whose shapes do not fit the op (raised as torch's RuntimeError and numpy's ValueError)."""
