"""What can go wrong between the server and its client, mid-exchange."""

from __future__ import annotations

__all__ = ["ClientGone", "InputError"]


class ClientGone(Exception):
    """The client disconnected or stopped reading; nobody is left to answer."""


class InputError(OSError):
    """Reading the request body failed; ``status`` is what the server answers.

    400 or 413 when the client broke the framing or the limit, 408 when it
    stalled, ``None`` when it disconnected (then nobody is left to answer).
    """

    def __init__(self, status: int | None, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
