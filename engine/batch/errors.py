"""The one exception of a batch run that is not about a line: exit code 1."""


class BatchError(RuntimeError):
    """A usage, input/output or set-up problem: the run cannot go on (or start)."""
