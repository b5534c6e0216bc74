"""`te.utils`: torch's utility namespaces (`te.utils.data`)."""
from . import data

__all__ = ["data"]
