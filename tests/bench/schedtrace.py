"""Who had the CPU while a slow call waited: the kernel's scheduler events
(perf's sched:sched_switch and sched:sched_waking, every CPU), recorded
while the bench runs (--sched-trace), read back for the calls over a
budget.

A call is a window of CLOCK_REALTIME ns (its NMBR line to its CID: line on
the socket). For each slow one this says which task ran longest without a
break on any CPU inside it, and how long that task's runs usually are
(their median over the whole trace): a simulator that writes a line in a
tenth of a millisecond and once "ran" for three, with nothing to do, is a
virtual CPU the host did not run (this kind of guest reports no steal
time, so that time is charged to whatever was running). It also says the
longest a woken task waited for a CPU in the window, and whether that CPU
was idle meanwhile (an idle virtual CPU the host was slow to wake) or busy
(the task waited its turn behind another).

Needs perf (Debian's linux-perf) and the right to trace the whole machine
(root, or kernel.perf_event_paranoid at -1).
"""

import os
import re
import shutil
import signal
import statistics
import subprocess
import time


class Trace:
    """perf recording scheduler events on every CPU into path, from start()
    to stop(), a process of the harness h (stopped with the rest if the
    bench fails in between). Its times are CLOCK_MONOTONIC, the bench's
    CLOCK_REALTIME: offset_ns is the difference, taken at start()."""

    EVENTS = ('sched:sched_switch', 'sched:sched_waking')

    def __init__(self, h, path, events=EVENTS):
        self.h = h
        self.path = path
        self.events = events
        self.proc = None
        self.offset_ns = 0

    def start(self):
        perf = shutil.which('perf')
        if perf is None:
            raise RuntimeError('perf is needed to trace the scheduler (apt-get install linux-perf)')
        self.offset_ns = time.time_ns() - time.monotonic_ns()
        argv = [perf, 'record', '-q', '-a', '-k', 'mono', '-o', self.path]
        for e in self.events:
            argv += ['-e', e]
        self.proc = self.h.spawn(argv, log_name='perf-record.log', stdout=subprocess.DEVNULL)
        # its events are open once it has written the file's header
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.proc.alive():
            if os.path.exists(self.path) and os.path.getsize(self.path) > 0:
                return
            time.sleep(0.05)
        self.proc.stop()
        raise RuntimeError('perf record did not start: ' + self.proc.log().strip())

    def stop(self):
        """Ends the recording: SIGINT, on which perf writes the file out
        (on the harness's SIGTERM it leaves no events in it)."""
        if self.proc is None:
            return
        if self.proc.alive():
            self.proc.popen.send_signal(signal.SIGINT)
            try:
                self.proc.popen.wait(60)
            except subprocess.TimeoutExpired:
                pass
        self.proc.stop()
        self.proc = None


ROW = re.compile(r'^\s*(\d+)\s+\[(\d+)\]\s+(\d+)\.(\d+):\s+sched:(\w+):\s+(.*)$')


def events(path):
    """The events perf recorded into path, in its order: (tid, cpu, ns,
    kind, fields), kind the event's name without "sched:" (sched_switch...),
    fields its key=value pairs as strings (a name with a space in it is
    cut there); ns CLOCK_MONOTONIC when recorded by a Trace. Empty when perf
    cannot read the file."""
    try:
        p = subprocess.run(['perf', 'script', '-i', path, '-F', 'cpu,tid,time,event,trace',
                            '--ns'], capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired):
        return
    for line in p.stdout.splitlines():
        m = ROW.match(line)
        if m:
            yield (int(m.group(1)), int(m.group(2)), int(m.group(3)) * 10**9 + int(m.group(4)),
                   m.group(5), dict(re.findall(r'(\w+)=(\S+)', m.group(6))))


class Timeline:
    """Runs (a task on a CPU from one switch to the next) and waits (a task
    woken until it ran) of the events of a Trace recorded with
    sched_switch and sched_waking."""

    def __init__(self, path):
        self.runs = []   # (start, end, cpu, comm, pid); pid 0 is the idle task
        self.waits = []  # (woken, ran, cpu, comm, pid, cpu_was_idle)
        current = {}     # cpu -> (since, comm, pid)
        woken = {}       # pid -> ns
        for _, cpu, ns, kind, f in events(path):
            if kind == 'sched_waking':
                woken.setdefault(int(f.get('pid', 0)), ns)
                continue
            if kind != 'sched_switch':
                continue
            nxt = int(f.get('next_pid', 0))
            since = current.get(cpu)
            if since is not None:
                self.runs.append((since[0], ns, cpu, since[1], since[2]))
            current[cpu] = (ns, f.get('next_comm', '?'), nxt)
            if nxt != 0 and nxt in woken:
                self.waits.append((woken.pop(nxt), ns, cpu, f.get('next_comm', '?'), nxt,
                                   f.get('prev_pid') == '0'))
        by_task = {}
        for start, end, cpu, comm, pid in self.runs:
            if pid != 0:
                by_task.setdefault(pid, []).append(end - start)
        self.usual = {pid: statistics.median(v) for pid, v in by_task.items()}

    def explain(self, t0, t1):
        """What the window [t0, t1] (CLOCK_MONOTONIC ns) saw: the longest
        run of a task inside it (with the median of that task's runs over
        the trace), the longest wait of a woken task for a CPU (perf's own
        left out: it is the observer)."""
        longest = self.longest_run(t0, t1)
        wait = None
        for woken, ran, cpu, comm, pid, idle in self.waits:
            if comm == 'perf' or ran <= t0 or woken >= t1:
                continue
            span = min(ran, t1) - max(woken, t0)
            if wait is None or span > wait['ms']:
                wait = {'task': '%s[%d]' % (comm, pid), 'cpu': cpu, 'ms': span,
                        'cpu_was_idle': idle, 'from': woken, 'to': ran}
        if wait is not None:
            # whom it waited behind: the longest run on its CPU meanwhile
            woken, ran = wait.pop('from'), wait.pop('to')
            wait['behind'] = (None if wait['cpu_was_idle'] else
                              self.longest_run(woken, ran, wait['cpu']))
            wait['ms'] = round(wait['ms'] / 1e6, 3)
        return {'longest_run': longest, 'longest_wait': wait}

    def longest_run(self, t0, t1, on_cpu=None):
        """The longest run of a task (the idle task and perf left out) in
        [t0, t1], on on_cpu or any CPU, with the median of that task's
        runs over the trace: None when none."""
        best = None
        for start, end, cpu, comm, pid in self.runs:
            if (pid == 0 or comm == 'perf' or end <= t0 or start >= t1 or
                    (on_cpu is not None and cpu != on_cpu)):
                continue
            span = min(end, t1) - max(start, t0)
            if best is None or span > best[0]:
                best = (span, comm, pid, cpu)
        if best is None:
            return None
        span, comm, pid, cpu = best
        return {'task': '%s[%d]' % (comm, pid), 'cpu': cpu, 'ms': round(span / 1e6, 3),
                'usual_ms': round(self.usual.get(pid, 0) / 1e6, 3)}


def describe_run(r):
    return '%s, %.2f ms on cpu%d (its median run %.2f ms)' % (r['task'], r['ms'], r['cpu'],
                                                              r['usual_ms'])


def describe(e):
    """One line of explain()'s answer."""
    parts = []
    r, w = e['longest_run'], e['longest_wait']
    if r is not None:
        parts.append('longest run: ' + describe_run(r))
    if w is not None:
        if w['cpu_was_idle']:
            why = 'the CPU idle: slow to wake'
        elif w['behind'] is not None:
            why = 'behind ' + describe_run(w['behind'])
        else:
            why = 'behind another task'
        parts.append('longest wait for a CPU: %s %.2f ms on cpu%d, %s'
                     % (w['task'], w['ms'], w['cpu'], why))
    return '; '.join(parts) or 'no scheduler events in it'
