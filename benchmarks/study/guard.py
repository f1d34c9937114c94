"""Per-client limit on new participants (the body-size cap is Starlette's ``RequestBodyLimitMiddleware``).

The study runs as one process, so a sliding window per client address in memory is enough; it is
written here (30 lines) rather than pulling in a rate-limit package and its storage backends.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque

#: default cap on request bodies: votes and consents are a few hundred bytes
MAX_BODY_BYTES = 16 * 1024
#: default: at most this many new participants per client address ...
NEW_PARTICIPANTS = 20
#: ... within this many seconds
RATE_WINDOW_S = 600.0


class RateLimiter:
    """At most ``limit`` events per key within ``window_s`` seconds (sliding window, thread-safe).

    Memory is bounded: at most ``max_keys`` keys are tracked, the least recently used dropped first.

    Args:
        limit: events allowed per window (0 disables the limit).
        window_s: window length in seconds.
        max_keys: keys kept in memory.
    """

    def __init__(
        self, limit: int = NEW_PARTICIPANTS, window_s: float = RATE_WINDOW_S, max_keys: int = 100_000
    ) -> None:
        if limit < 0 or window_s <= 0:
            raise ValueError(f"rate limit {limit}/{window_s}s: need limit >= 0 and a positive window")
        self.limit = limit
        self.window_s = window_s
        self.max_keys = max_keys
        self._events: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, key: str, now: float | None = None) -> bool:
        """Record an event for ``key`` and say whether it is within the limit (refused ones are not recorded)."""
        if self.limit == 0:
            return True
        now = time.monotonic() if now is None else now
        with self._lock:
            q = self._events.pop(key, None) or deque()
            while q and q[0] <= now - self.window_s:
                q.popleft()
            ok = len(q) < self.limit
            if ok:
                q.append(now)
            self._events[key] = q
            while len(self._events) > self.max_keys:
                self._events.popitem(last=False)
            return ok


def parse_rate(text: str) -> tuple[int, float]:
    """``"20/600"`` -> (20, 600.0): events per window in seconds; ``"0"`` disables.

    Raises:
        ValueError: not ``N/SECONDS`` with N >= 0 and SECONDS > 0.
    """
    count, sep, window = text.partition("/")
    try:
        n = int(count)
        w = float(window) if sep else RATE_WINDOW_S
    except ValueError:
        raise ValueError(f"rate {text!r}: expected N/SECONDS, e.g. 20/600") from None
    if n < 0 or w <= 0:
        raise ValueError(f"rate {text!r}: expected N >= 0 and SECONDS > 0")
    return n, w
