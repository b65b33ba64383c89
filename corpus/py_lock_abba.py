"""py_lock_abba.py - two Python threads take two threading.Locks in
opposite order and block each other for good.

  python3 py_lock_abba.py

Thread "taker-a" holds lock_a and waits for lock_b; "taker-b" holds lock_b
and waits for lock_a.  CPython's threading.Lock is a POSIX semaphore
(Python/thread_pthread.h): it records no owner.  Once both takers are
blocked in the kernel (a futex wait, /proc/self/task/TID/syscall), the
script writes their native thread ids to py_lock_abba.txt, prints "ready"
and joins them (main blocks too).  The test then dumps it with SIGQUIT or
gcore.

Expected: a probable deadlock/hang naming both takers' Python lock waits.
"""

import os
import threading
import time

lock_a = threading.Lock()
lock_b = threading.Lock()
holding = threading.Barrier(3)


def taker(first, second):
    with first:
        holding.wait()
        with second:
            pass


def blocked(tid):
    """Whether thread TID of this process is blocked in a system call."""
    try:
        with open("/proc/self/task/%d/syscall" % tid) as f:
            return f.read().split()[0].isdigit()
    except OSError:
        return False


def main():
    ts = [threading.Thread(target=taker, args=(lock_a, lock_b), name="taker-a"),
          threading.Thread(target=taker, args=(lock_b, lock_a), name="taker-b")]
    for t in ts:
        t.start()
    holding.wait()
    # Blocked twice 0.2 s apart: a taker waiting a moment for the GIL is
    # in a futex wait too, but not for long.
    deadline = time.time() + 10
    settled = 0
    while time.time() < deadline and settled < 2:
        settled = settled + 1 if all(blocked(t.native_id) for t in ts) else 0
        time.sleep(0.2)
    with open("py_lock_abba.txt", "w") as f:
        for t in ts:
            f.write("%d\n" % t.native_id)
    print("ready", flush=True)
    for t in ts:
        t.join()


main()
