"""Runs a command and writes its own wall time, CPU time and peak RSS as JSON.

Usage: rusage.py RESULT.json CMD [ARGS...]. The figures are the child's alone (wait4 on
its pid), not the maximum over every child the bench ever ran (which is what
getrusage(RUSAGE_CHILDREN) gives), and wall time starts at fork, so this wrapper's own
start-up is not counted.
"""
import json
import os
import sys
import time

out, cmd = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - started
with open(out, "w") as f:
    json.dump(
        {
            "wallMs": wall * 1000,
            "cpuMs": (ru.ru_utime + ru.ru_stime) * 1000,
            "rssMB": ru.ru_maxrss / 1024,
            "code": os.waitstatus_to_exitcode(status),
        },
        f,
    )
sys.exit(0)
