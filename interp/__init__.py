"""interp: run quantized TensorFlow Lite models bit-exactly through portable C kernels in one arena."""
from __future__ import annotations

from .errors import (BudgetError, InputError, InterpError, KernelError, ModelError,
                     UnsupportedOperatorError)
from .cortexm import TargetError, export
from .interpreter import Interpreter
from .loader import load

__all__ = ["Interpreter", "load", "export", "TargetError", "InterpError", "ModelError", "UnsupportedOperatorError",
           "InputError", "BudgetError", "KernelError"]
__version__ = "0.1.0"
