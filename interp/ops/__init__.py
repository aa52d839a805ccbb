"""Op lowerings, one module per family; importing this package registers them all."""
from . import activation, conv, eltwise, fc, layout, lstm, pool, reshape, signal, transpose_conv  # noqa: F401
