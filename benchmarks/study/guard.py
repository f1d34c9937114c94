"""Per-client limit on new participants (the body-size cap is Starlette's ``RequestBodyLimitMiddleware``).

The study runs as one process, so the ``limits`` package's moving window over its in-memory
storage is enough (expired windows are dropped by the storage itself).
"""

from __future__ import annotations

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

#: default cap on request bodies: votes and consents are a few hundred bytes
MAX_BODY_BYTES = 16 * 1024
#: default: at most this many new participants per client address ...
NEW_PARTICIPANTS = 20
#: ... within this many seconds
RATE_WINDOW_S = 600


class RateLimiter:
    """At most ``limit`` events per key within ``window_s`` seconds (moving window, thread-safe).

    Args:
        limit: events allowed per window (0 disables the limit).
        window_s: window length in whole seconds.
    """

    def __init__(self, limit: int = NEW_PARTICIPANTS, window_s: int = RATE_WINDOW_S) -> None:
        if limit < 0 or window_s <= 0 or window_s != int(window_s):
            raise ValueError(
                f"rate limit {limit}/{window_s}s: need limit >= 0 and a whole number of seconds > 0"
            )
        self.limit = limit
        self.window_s = int(window_s)
        self._item = RateLimitItemPerSecond(max(limit, 1), self.window_s)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def allow(self, key: str) -> bool:
        """Record an event for ``key`` and say whether it is within the limit (refused ones are not recorded)."""
        return self.limit == 0 or self._limiter.hit(self._item, key)


def parse_rate(text: str) -> tuple[int, int]:
    """``"20/600"`` -> (20, 600): events per window in whole seconds; ``"0"`` disables.

    Raises:
        ValueError: not ``N/SECONDS`` with N >= 0 and SECONDS a whole number > 0.
    """
    count, sep, window = text.partition("/")
    try:
        n = int(count)
        w = int(window) if sep else RATE_WINDOW_S
    except ValueError:
        raise ValueError(f"rate {text!r}: expected N/SECONDS, e.g. 20/600") from None
    if n < 0 or w <= 0:
        raise ValueError(f"rate {text!r}: expected N >= 0 and SECONDS > 0")
    return n, w
