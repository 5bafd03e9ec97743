"""One exception type for everything a person must read.

Anything raised as :class:`AreaprofileError` carries a single sentence that says what is
wrong and what to do; the CLI and the pages print that sentence and never a traceback.
"""


class AreaprofileError(Exception):
    """A problem the user can fix (bad file, unknown area, missing store...)."""

    def __init__(self, message: str):
        # One line, always: a value echoed from a damaged file may hold a line break.
        message = "\\n".join(str(message).splitlines())
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message
