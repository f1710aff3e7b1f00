"""Writes that take effect later: the `state_change_delay` setting.

A control write (record, live, broadcast, cancelBroadcast) answers at once;
its effect on the meeting (and so on realTimeInfo and on the push) comes
`state_change_delay` seconds later, as on a service where the media server
acts after the API has answered.  Changes are applied in the order they were
submitted, whichever timer fires first.  Never call submit() while holding
the state's lock: applying a change takes it.
"""

import heapq
import itertools
import threading
import time


class DeferredChanges(object):
    def __init__(self, state):
        self._state = state
        self._lock = threading.Lock()           # the heap and the timers
        self._apply = threading.Lock()          # one change applied at a time, in order
        self._heap = []                 # (due, seq, meeting_id, updates)
        self._timers = set()
        self._seq = itertools.count()
        self._last_due = 0.0

    def submit(self, meeting_id, updates, delay):
        if not delay:
            with self._lock:
                pending = bool(self._heap)
            if not pending:
                with self._apply:
                    self._state.apply_change(meeting_id, updates)
                return
        with self._lock:
            # never before a change submitted earlier (the delay may have
            # been shortened meanwhile): first in, first applied
            now = time.monotonic()
            due = max(now + delay, self._last_due)
            self._last_due = due
            key = (due, next(self._seq))
            heapq.heappush(self._heap, key + (meeting_id, updates))
            timer = threading.Timer(due - now, self._fire, args=(key,))
            timer.daemon = True
            self._timers.add(timer)
        timer.start()

    def _fire(self, key):
        """Apply every change up to and including `key`, in order."""
        with self._apply:
            while True:
                with self._lock:
                    if not self._heap or self._heap[0][:2] > key:
                        break
                    _due, _seq, meeting_id, updates = heapq.heappop(self._heap)
                self._state.apply_change(meeting_id, updates)
        with self._lock:
            self._timers = {t for t in self._timers if t.is_alive()
                            and t is not threading.current_thread()}

    def cancel_all(self):
        """Forget the changes still waiting (reset, stop)."""
        with self._lock:
            timers, self._timers = self._timers, set()
            self._heap = []
            self._last_due = 0.0
        for timer in timers:
            timer.cancel()
