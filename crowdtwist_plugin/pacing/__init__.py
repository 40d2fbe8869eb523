"""When may a request start: one package for the budget, the 429 rules and the waits.

- ``rules``: the rules as pure functions of a clock (GCRA reservations, the 429 pause and
  cut, recovery), ``LocalBudget`` that applies them in this process, and the retry
  policy (``RetryPolicy``, ``retry_waits``: backoff's wait generator).
- ``redis_budget``: ``RedisBudget``, the same rules applied in Redis by ``gcra.lua`` for a
  fleet of workers sharing one API key.
- ``fair``: the turn (urgent requests first, concurrent hook calls in turns).
- ``throttle``: ``Throttle``, the in-flight bound around the turn and a budget, with
  asyncio-throttle's window cap; ``Throttles``, one per connection and event loop;
  ``budget_for``, the budget a hook call draws from (this process's or the fleet's);
  ``hold_back``, a 429's pause and cut.

Only ``rules`` and ``fair`` are imported here, so ``options`` can use ``RetryPolicy``
without loading the rest.
"""

from crowdtwist_plugin.pacing.fair import Flow, Priority
from crowdtwist_plugin.pacing.rules import (
    Budget,
    Limits,
    LocalBudget,
    RetryPolicy,
    burst_for,
)

__all__ = ["Budget", "Flow", "Limits", "LocalBudget", "Priority", "RetryPolicy", "burst_for"]
