"""One error tree for everything interp raises. Catch InterpError; it is never raised itself."""
from __future__ import annotations


class InterpError(Exception):
    """Root of every interp error."""


class ModelError(InterpError, ValueError):
    """The .tflite bytes are malformed, inconsistent or use something interp does not support."""


class UnsupportedOperatorError(ModelError, NotImplementedError):
    """The model uses operators (or operator/type combinations) interp cannot run.

    `problems` lists one line per unsupported operator: name, version, op index, tensor types.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__(f"{len(problems)} unsupported operator(s):\n  " + "\n  ".join(problems))


class InputError(InterpError, ValueError):
    """A tensor handed to set_tensor/run has the wrong shape, dtype or index."""


class BudgetError(InterpError):
    """The model does not fit the RAM or flash budget it was given."""

    def __init__(self, message: str, resource: str, required: int, available: int) -> None:
        super().__init__(message)
        self.resource, self.required, self.available = resource, required, available


class KernelError(InterpError, RuntimeError):
    """The C executor refused the plan or an op's arguments (a bug in interp if it happens)."""

    def __init__(self, message: str, status: int, op_index: int) -> None:
        super().__init__(message)
        self.status, self.op_index = status, op_index
