"""Slots: `slots` threads that run tasks from a queue; finished results wake the main loop
through a pipe it polls."""

import collections
import os
import threading

from zpipe_tasks import run_task


class SlotPool:
    def __init__(self, spec, slots):
        self.spec = spec
        self.cond = threading.Condition()
        self.queue = collections.deque()  # (id, attempt, input, args) not started yet
        self.busy = [False] * slots  # slot i + 1 runs a task: {%} is the lowest free one
        self.results = []
        self.stopping = False
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        for _ in range(slots):
            # Daemon threads: a worker told to stop at once must not wait out a long sleep.
            threading.Thread(target=self._serve, daemon=True).start()

    def submit(self, items):
        with self.cond:
            self.queue.extend(items)
            self.cond.notify_all()

    def take_queued(self):
        """Removes and returns the tasks no slot has started."""
        with self.cond:
            items = list(self.queue)
            self.queue.clear()
            return items

    def take_results(self):
        with self.cond:
            try:
                os.read(self.wake_r, 4096)
            except BlockingIOError:
                pass
            out, self.results = self.results, []
            return out

    def stop(self):
        with self.cond:
            self.stopping = True
            self.queue.clear()
            self.cond.notify_all()

    def _serve(self):
        while True:
            with self.cond:
                while not self.stopping and not self.queue:
                    self.cond.wait()
                if self.stopping:
                    return
                task_id, attempt, data, args = self.queue.popleft()
                slot = self.busy.index(False)
                self.busy[slot] = True
            result = run_task(self.spec, task_id, data, max(attempt, 1) - 1, args, slot + 1)
            with self.cond:
                self.busy[slot] = False
                if self.stopping:
                    return  # stopped: results of killed tasks are not reported
                self.results.append(result)
                try:
                    os.write(self.wake_w, b"x")
                except BlockingIOError:
                    pass  # the pipe is full of wake-ups already
