"""The call path's budget: NMBR line -> Notify, stage by stage.

Two cases, each on a daemon of its own with a fresh copy of the database:

  friendly    the bench's hot contacts (rich history), NMBR and NAME
              together, the database warm in the page cache, each caller
              calling the second time in a row;
  realistic   distinct contacts picked at random, each their first call of
              the day (none of their pages in SQLite's cache), NMBR alone,
              NAME 100 ms later, then rings; each call once the daemon
              checkpointed the one before (a quiet line's log copied into
              the file), as calls minutes apart at a desk find it;
  cold        the same, with the database file also dropped from the
              kernel's page cache before each call (after a reboot, or on
              a box short of memory): every page the call needs comes
              from the disk.

ctid runs with CTID_STAGES set, so it appends a CLOCK_REALTIME stamp for
each stage (common/stages.h) to a file; modemsim stamps each NMBR line and
bench_listen each Notify seen on the bus, on the same clock. For every call
the first mark of each stage after its NMBR line gives the budget. CPU per
call is the daemon's CPU time (all threads, /proc/PID/task/*/schedstat)
over the calls, history writes, rings and ends included.

--ctid PATH runs the same cases with another build's ctid beside this one
(the previous commit's, for instance: it may have no stage marks): both
daemons up at once, each with its own bus, notification server, modem and
copy of the file, and the calls alternating between them (A B, B A, ...),
so that the machine's drift reaches both builds alike. The runs under a
tool (--callgrind, --syscalls, --sched, --perf) take turns, their counts
do not drift.
--cpu-quota PCT runs the daemon in a cgroup limited to PCT % of one CPU
(cgroup v2 cpu.max, or v1 cpu.cfs_quota_us): a Raspberry Pi next to the
router. --perf records the daemon with perf during the realistic case and
names the top costs (realistic case). --callgrind N places N realistic
calls under valgrind's callgrind, each followed by its checkpoint, and
counts the instructions each thread spent on them (the dumps are left in
tests/bench/out/callgrind-SIZE-BUILD/ for callgrind_annotate): a figure
that does not swing with the machine, as CPU time does on a shared one (the
same build's CPU a call went from 4.8 to 15-30 ms between runs an hour
apart here).
"""

import contextlib
import os
import random
import shutil
import sqlite3
import pwd
import re
import subprocess
import time

import ctidtest
import schedtrace
from benchlib import (NcidReader, Session, context_switches, page_faults, proc_io, proc_status,
                      spawn_crowd, web_token)

STAGES = ['read', 'event', 'matched', 'logged', 'history', 'handed', 'signal', 'notify-sent',
          'notify-reply', 'outputs', 'web-sent', 'ncid-sent']


def thread_schedstat(pid, field):
    """A field of /proc/PID/task/TID/schedstat (0: ns on a CPU, 1: ns
    waiting for one, 2: turns on one) of pid's threads, summed by name."""
    out = {}
    for tid, name in ctidtest.threads(pid):
        try:
            with open('/proc/%d/task/%d/schedstat' % (pid, tid)) as f:
                value = int(f.read().split()[field])
        except (OSError, ValueError, IndexError):
            continue
        out[name] = out.get(name, 0) + value
    return out


def thread_cpu_ns(pid):
    """CPU time of pid's threads by name, in ns: ctid (the main loop),
    ctid-notify (libnotify's), gdbus (GDBus's worker), the rest."""
    return thread_schedstat(pid, 0)


def callgrind_threads(base, names, calls):
    """Instructions a call by thread from callgrind's first dump (BASE.1-NN
    for valgrind's thread NN, made in the order of names; a thread that
    ended leaves its number to the next one made), in thousands, and their
    total. The dump's "summary:" is what ran since callgrind_control -z;
    its "totals:", the sum of its cost lines, also counts costs from
    before it (at a million contacts, 21 M instructions of SQLite's in the
    main loop with no caller in the dump, for one call that cost 1.1 M), so
    it is not read."""
    by = {}
    n = 1
    while True:
        path = '%s.1-%02d' % (base, n)
        if not os.path.exists(path):
            break
        total = 0
        with open(path) as f:
            for line in f:
                if line.startswith('summary:'):
                    total = int(line.split()[1])
                    break
        # the first is the main loop's (named after valgrind's tool under it)
        name = 'ctid' if n == 1 else names[n - 1] if n <= len(names) else 'ended threads'
        by[name] = by.get(name, 0) + total
        n += 1
    out = {k: round(v / 1000 / max(calls, 1)) for k, v in by.items()
           if v >= 500 * max(calls, 1)}
    out['all'] = round(sum(by.values()) / 1000 / max(calls, 1))
    return out


def by_name_per_call(before, after, calls):
    """context_switches() before and after: each thread name's count a call."""
    out = {}
    for tid, (name, n) in after.items():
        out[name] = out.get(name, 0) + n - before.get(tid, (name, 0))[1]
    return {name: round(n / max(calls, 1), 1) for name, n in out.items() if n > 0}


def perf_trace_summary(path, calls):
    """perf trace -s's summary: system calls a call by thread name, and the
    commonest system calls over all threads."""
    by_thread, by_call, name = {}, {}, None
    try:
        with open(path) as f:
            for line in f:
                head = re.match(r'^ (.+) \((\d+)\), (\d+) events', line)
                row = re.match(r'^\s+([a-z_0-9]+)\s+(\d+)\s+(\d+)\s', line)
                if head:
                    name = head.group(1)
                elif row and name is not None:
                    n = int(row.group(2))
                    by_thread[name] = by_thread.get(name, 0) + n
                    by_call[row.group(1)] = by_call.get(row.group(1), 0) + n
    except OSError:
        return None
    per = max(calls, 1)
    return {
        'by_thread': {k: round(v / per, 1) for k, v in by_thread.items()},
        'total': round(sum(by_thread.values()) / per, 1),
        'top': [[k, round(v / per, 1)] for k, v in
                sorted(by_call.items(), key=lambda kv: -kv[1])[:8]],
    }


def sched_summary(data, tids, calls):
    """What the kernel's scheduler did with the daemon's threads (perf record
    of sched_switch and sched_wakeup on every CPU): for each hand-off between
    two of its threads (the waker's name -> the woken one's), how many a
    call, how many put on the waker's own CPU while another CPU idled, and
    how long the woken thread waited to run (us); and how often a call the
    main loop slept on the disk (a switch out in state D) and for how long.
    tids: the daemon's thread ids by name."""
    names = {tid: name for tid, name in tids}
    main = next((tid for tid, name in tids if name == 'ctid'), None)
    idle, woken, handoffs, disk, asleep_since = {}, {}, {}, [], None
    for tid, cpu, ns, kind, fields in schedtrace.events(data):
        if kind == 'sched_wakeup':
            target = int(fields.get('pid', 0))
            if tid in names and target in names:
                other_idle = any(v for c, v in idle.items() if c != cpu)
                woken[target] = (ns, names[tid], int(fields.get('target_cpu', -1)) == cpu
                                 and other_idle)
            if target == main and asleep_since is not None:
                disk.append(ns - asleep_since)
                asleep_since = None
        elif kind == 'sched_switch':
            nxt = int(fields.get('next_pid', -1))
            idle[cpu] = nxt == 0
            if int(fields.get('prev_pid', -1)) == main and fields.get('prev_state') == 'D':
                asleep_since = ns
            if nxt in woken:
                t0, waker, packed = woken.pop(nxt)
                h = handoffs.setdefault('%s -> %s' % (waker, names[nxt]),
                                        {'n': 0, 'packed': 0, 'waits': []})
                h['n'] += 1
                h['packed'] += packed
                h['waits'].append((ns - t0) / 1e3)
    per = max(calls, 1)
    return {
        'handoffs': {k: {'per_call': round(h['n'] / per, 1),
                         'packed_per_call': round(h['packed'] / per, 1),
                         'wait_us': {'p50': round(pct(h['waits'], 0.5), 1),
                                     'p90': round(pct(h['waits'], 0.9), 1),
                                     'max': round(max(h['waits']), 1)}}
                     for k, h in handoffs.items()},
        'disk_sleeps_per_call': round(len(disk) / per, 1),
        'disk_ms_per_call': round(sum(disk) / 1e6 / per, 3),
    }


def checkpointer_runs(pid):
    """How many times the daemon pid's checkpoint thread has had a CPU; 0
    before it exists."""
    return thread_schedstat(pid, 2).get('ctid-checkpoint', 0)


def wait_checkpointed(pid, runs, timeout=60):
    """Waits until the daemon pid's checkpoint thread has looked after the
    log since it had run runs times (synced it, or copied it into the file
    once it grew: both are a quiet line's) and waits for the next, in
    futex(), not in a write or a sync of its own (on a machine whose futex
    number is not known here, once it ran). Returns its runs now."""
    futex = {'x86_64': '202', 'aarch64': '98'}.get(os.uname().machine)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if checkpointer_runs(pid) != runs:
            idle = []
            for tid, name in ctidtest.threads(pid):
                if name == 'ctid-checkpoint':
                    try:
                        with open('/proc/%d/task/%d/syscall' % (pid, tid)) as f:
                            idle.append(futex is None or f.read().split()[0] == futex)
                    except (OSError, IndexError):
                        idle.append(False)
            if idle and all(idle):
                break
        time.sleep(0.02)
    return checkpointer_runs(pid)


def task_cpu_ns(pid):
    """CPU time of every thread of pid, in ns."""
    return sum(thread_cpu_ns(pid).values())


def notify_floor(s, calls, gap_ms=20):
    """libnotify alone showing a call's two popups, against the session's
    server, gap_ms apart: its CPU per call (ms), or None."""
    try:
        p = subprocess.run([os.path.join(s.build, 'tests/bench/notify_floor'), str(calls),
                            str(int(gap_ms))],
                           env=s.env, capture_output=True, text=True,
                           timeout=120 + calls * gap_ms / 1000)
    except (OSError, subprocess.TimeoutExpired):
        return None
    parts = p.stdout.split()
    return float(parts[3]) if p.returncode == 0 and len(parts) == 4 else None


def handoff(s, rounds, gap_ms=0):
    """This machine's price of a system call and of one thread waking
    another (tests/bench/handoff), gap_ms apart: {'syscall_us', 'wake_us'},
    or None."""
    try:
        p = subprocess.run([os.path.join(s.build, 'tests/bench/handoff'), str(rounds),
                            str(int(gap_ms))], capture_output=True, text=True,
                           timeout=120 + rounds * gap_ms / 1000)
    except (OSError, subprocess.TimeoutExpired):
        return None
    parts = p.stdout.split()
    if p.returncode != 0 or len(parts) != 6:
        return None
    return {'syscall_us': float(parts[3]), 'wake_us': float(parts[5])}


def pct(values, q):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(q * (len(v) - 1) + 0.5))]


def ms_stats(ns):
    if not ns:
        return {'n': 0}
    return {'n': len(ns), 'p50': round(pct(ns, 0.5) / 1e6, 3), 'p99': round(pct(ns, 0.99) / 1e6, 3),
            'max': round(max(ns) / 1e6, 3)}


def realistic_callers(db, n, seed=7):
    """n contacts picked at random whose number is theirs alone and who have
    no call today: (digits, name)."""
    con = sqlite3.connect('file:%s?mode=ro' % db, uri=True)
    top = con.execute('SELECT max(id) FROM contacts').fetchone()[0] or 0
    rnd = random.Random(seed)
    out, seen = [], set()
    today = int(time.time()) - 86400
    while len(out) < n and len(seen) < 20 * n + 100:
        cid = rnd.randint(1, top)
        if cid in seen:
            continue
        seen.add(cid)
        row = con.execute(
            'SELECT p.digits, c.name FROM phones p JOIN contacts c ON c.id = p.contact_id '
            'WHERE c.id = ? AND length(p.digits) BETWEEN 10 AND 13 '
            'AND (SELECT count(*) FROM phones q WHERE q.digits = p.digits) = 1 '
            'AND NOT EXISTS (SELECT 1 FROM calls k WHERE k.contact_id = c.id AND k.started > ?) '
            'LIMIT 1', (cid, today)).fetchone()
        if row is not None and '"' not in row[1]:
            out.append((row[0], row[1]))
    con.close()
    return out


class Quota:
    """A cgroup holding the daemon to pct % of one CPU; None when the machine
    lets us make none (the reason in .why)."""

    def __init__(self, pct_cpu):
        self.path, self.why = None, None
        period = 100000
        quota = int(period * pct_cpu / 100)
        name = 'ctid-bench-%d' % os.getpid()
        try:
            if os.path.exists('/sys/fs/cgroup/cgroup.controllers'):  # v2
                self.path = os.path.join('/sys/fs/cgroup', name)
                os.mkdir(self.path)
                with open(os.path.join(self.path, 'cpu.max'), 'w') as f:
                    f.write('%d %d\n' % (quota, period))
            else:  # v1
                self.path = os.path.join('/sys/fs/cgroup/cpu', name)
                os.mkdir(self.path)
                with open(os.path.join(self.path, 'cpu.cfs_period_us'), 'w') as f:
                    f.write('%d\n' % period)
                with open(os.path.join(self.path, 'cpu.cfs_quota_us'), 'w') as f:
                    f.write('%d\n' % quota)
        except OSError as e:
            self.why = 'cannot make a cgroup (%s): run as root, or with a delegated cgroup' % e
            self.close()
            self.path = None

    def add(self, pid):
        with open(os.path.join(self.path, 'cgroup.procs'), 'w') as f:
            f.write('%d\n' % pid)

    def close(self):
        if self.path is not None:
            try:
                os.rmdir(self.path)
            except OSError:
                pass


def attach_outputs(h, args, db, conf):
    """A mosquitto broker, a user for the web page; adds their settings to
    conf. Returns the ports and token the crowd of clients needs."""
    mqtt, web, ncid = ctidtest.free_ports(3)
    broker_conf = h.path('mosquitto.conf')
    with open(broker_conf, 'w') as f:
        f.write('listener %d 127.0.0.1\nallow_anonymous true\npersistence false\nuser %s\n'
                % (mqtt, pwd.getpwuid(os.getuid()).pw_name))
    h.spawn(['/usr/sbin/mosquitto', '-c', broker_conf], log_name='mosquitto.log')
    token = web_token(args.build, db)
    conf.append('listen = 127.0.0.1:%d\nncid-listen = 127.0.0.1:%d\nmqtt = mqtt://127.0.0.1:%d\n'
                % (web, ncid, mqtt))
    return {'web': web, 'ncid': ncid, 'token': token}


def one_case(h, args, db, ctid, calls, fmt, cold, **opts):
    """A daemon timed on calls alone (path_run): its figures."""
    run = path_run(h, args, db, ctid, fmt, cold, **opts)
    next(run)
    for call in calls:
        run.send(call)
    return run.send(None)


def path_run(h, args, db, ctid, fmt, cold, quota=None, perf=False, warmup=(),
             floor=False, outputs=False, callgrind=False, syscalls=False, sched=False,
             apart=True, ncid=False):
    """A generator: started (next()), it starts ctid on db, places warmup
    calls, waits for the daemon to go idle and yields; each (number, name)
    sent is then one timed call (fmt names the modemsim command), and None
    ends the run and gets its figures back. Two runs alive at once time
    two builds' calls in alternation (measure_path). apart: each call once the one before was
    checkpointed (wait_checkpointed), as at a desk; else back to back.
    outputs: with the web page's, NCID's and MQTT's
    clients attached (--ws-clients pages, --path-ncid-clients NCID clients).
    ncid: an NCID server with one client, which times each call's CID: line
    (with the outputs, that client is one more among theirs).
    callgrind: a folder: under valgrind's callgrind, counting the
    instructions the calls cost each thread, each call followed by its
    checkpoint; the dumps are left in the folder for callgrind_annotate. syscalls:
    under perf trace, counting the system calls they cost each thread. sched:
    under perf record of the scheduler's switches and wakes (sched_summary)."""
    stages_file = h.path('stages.txt')
    s = Session(h, args.build, db, interval_ms=args.path_interval, modems=1,
                keep_open=args.keep_open)
    s.env['CTID_STAGES'] = stages_file
    s.ctid = ctid
    conf = ['region = GB\n']
    out_ports = attach_outputs(h, args, db, conf) if outputs else None
    ncid_port = out_ports['ncid'] if outputs else ctidtest.free_port() if ncid else None
    if not outputs:
        conf.append('listen = none\n')
        if ncid:
            conf.append('ncid-listen = 127.0.0.1:%d\n' % ncid_port)
    with open(s.config, 'w') as f:
        f.write(''.join(conf))
    cg_out = h.path('callgrind.out')
    d = s.start_daemon(wrapper=('valgrind', '--tool=callgrind', '--separate-threads=yes',
                                '--compress-strings=no', '--callgrind-out-file=' + cg_out)
                       if callgrind else ())
    if quota is not None:
        quota.add(d.pid)
    s.wait(lambda: any(e.get('member') == 'ModemAdded' for e in s.events)
           or not d.alive(), 300)
    if not d.alive():  # another build that cannot open this file's schema, say
        raise RuntimeError('%s exited at start-up: %s' % (ctid, d.log()[-400:]))
    s.settle(quiet=3.0, timeout=600)  # the start-up reminders shown
    if outputs:
        spawn_crowd(h, ncid_port=out_ports['ncid'], n_ncid=args.path_ncid_clients,
                    web_port=out_ports['web'], token=out_ports['token'], n_ws=args.ws_clients,
                    log_name='output-crowd.log')
    client = None
    if ncid_port is not None and not callgrind:
        client = NcidReader(h, ncid_port, log_name='ncid-timed-client.log',
                            idle=args.path_ncid_idle)
        if client.until('300 ', 60)[0] is None:
            raise RuntimeError('the NCID client got no start-up: ' + client.proc.log()[-300:])
    sim = s.sims[0]
    for number, name in warmup:
        n_done = sim.done
        sim.send(fmt.format(number=number, name=name.upper()[:15]))
        s.wait(lambda: sim.done > n_done, 30)
    s.settle(quiet=1.0, timeout=60)  # (the warm-up's marks come before the first call's)
    # the start-up's reminder walk (a million contacts, in slices) is not a
    # call's CPU: wait until the daemon takes none for a second, once the
    # walk has begun (STARTUP_DELAY_S, 3 s, after the daemon's set-up; under
    # callgrind the set-up itself takes seconds, and a daemon idle before
    # its walk walked a million contacts during the calls)
    while time.time_ns() - s.t_exec < (30e9 if callgrind else 5e9):
        time.sleep(0.1)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        before = task_cpu_ns(d.pid)
        time.sleep(1.0)
        if task_cpu_ns(d.pid) - before < 1000000:
            break
    # what the start-up wrote (a schema migration of the other build's
    # file, the reminders' walk) is checkpointed now: left in the log, it
    # was checkpointed during the timed calls, by one of them when it
    # passed the daemon's limit
    with sqlite3.connect(db) as sql:
        busy, _, _ = sql.execute('PRAGMA wal_checkpoint(TRUNCATE)').fetchone()
    recorder = None
    if perf:
        recorder = subprocess.Popen(['perf', 'record', '-g', '-F', '4999', '-o',
                                     h.path('perf.data'), '-p', str(d.pid)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
    if syscalls:
        recorder = subprocess.Popen(['perf', 'trace', '-s', '-o', h.path('trace.txt'),
                                     '-p', str(d.pid)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # (perf trace prints nothing once it is attached)
    trace = None
    if sched:
        trace = schedtrace.Trace(h, h.path('sched.data'),
                                 ('sched:sched_switch', 'sched:sched_wakeup'))
        trace.start()
    if callgrind:
        subprocess.run(['callgrind_control', '-z', str(d.pid)], capture_output=True, timeout=60)
    switches0 = context_switches(d.pid)
    cpu0, ticks0 = task_cpu_ns(d.pid), time.monotonic()
    threads0 = thread_cpu_ns(d.pid)
    written0 = proc_io(d.pid).get('write_bytes', 0)
    faults0 = page_faults(d.pid)
    done = []
    ck_runs = checkpointer_runs(d.pid)
    while True:
        call = yield
        if call is None:
            break
        number, name = call
        if cold:
            evict_db(db)
        n_nmbr, n_done, start = len(sim.nmbr), sim.done, len(s.events)
        io0 = proc_io(d.pid)
        sim.send(fmt.format(number=number, name=name.upper()[:15]))
        # until the daemon ended the call (a ring timeout after the last
        # ring), so that no call's end falls into the next one's budget
        s.wait(lambda: len(sim.nmbr) > n_nmbr and sim.done > n_done and s.find(
            start=start, kind='signal', member='CallEnded') is not None, 30)
        s.settle(quiet=0.2, timeout=10)
        if apart or callgrind:
            # a call minutes after the last one finds the log looked after
            # (synced, or copied into the file once it grew: the daemon's
            # work once the line is quiet), and under callgrind pays for
            # its own: counted with it
            ck_runs = wait_checkpointed(d.pid, ck_runs)
        reads = proc_io(d.pid).get('read_bytes', 0) - io0.get('read_bytes', 0)
        if len(sim.nmbr) <= n_nmbr:
            done.append({'missing': 'nmbr'})
            continue
        t0 = sim.nmbr[n_nmbr]
        k = s.find(since_ns=t0, start=start, kind='notify', replaces=0, summary=name[:48])
        done.append({'t0': t0, 'notify_ns': s.events[k]['ns'] - t0 if k is not None else None,
                     'read_kb': reads / 1024, 'number': number})
        if client is not None:
            # the call's CID: line (the lines before it are the last call's end)
            done[-1]['cid_read_ns'], done[-1]['cid_sent_ns'] = client.cid(number, t0, 5)
    cpu = task_cpu_ns(d.pid) - cpu0
    wall = time.monotonic() - ticks0
    threads1 = thread_cpu_ns(d.pid)
    switches1 = context_switches(d.pid)
    faults = [b - a for a, b in zip(faults0, page_faults(d.pid))]
    written = proc_io(d.pid).get('write_bytes', 0) - written0
    try:  # empty when timing began: what the calls added (unless checkpointed meanwhile)
        frames = (os.path.getsize(db + '-wal') - 32) / (24 + 4096)
    except OSError:
        frames = 0
    by_thread = {name: round((ns - threads0.get(name, 0)) / 1e6 / max(len(done), 1), 3)
                 for name, ns in threads1.items() if ns > threads0.get(name, 0)}
    if recorder is not None:
        recorder.send_signal(2)
        recorder.wait(60)
    if trace is not None:
        trace.stop()
    out = {
        'calls': len(done),
        'complete': sum(1 for c in done if c.get('notify_ns') is not None),
        'notify_bus_ms': ms_stats([c['notify_ns'] for c in done
                                   if c.get('notify_ns') is not None]),
        'cpu_ms_per_call': round(cpu / 1e6 / max(len(done), 1), 3),
        'cpu_ms_per_call_by_thread': by_thread,
        # each a thread going to sleep and being woken (or preempted): the
        # hand-offs a call costs, a figure the machine's speed does not move
        'switches_per_call_by_thread': by_name_per_call(switches0, switches1, len(done)),
        # what the kernel read from the disk for the daemon, a call
        # traps into the kernel for memory (major: from the disk), a call
        'page_faults_per_call': [round(n / max(len(done), 1), 1) for n in faults],
        'disk_read_kb_per_call': pct([c['read_kb'] for c in done if 'read_kb' in c], 0.5),
        # what the daemon wrote (the log's pages, checkpoints), on average
        'disk_write_kb_per_call': round(written / 1024 / max(len(done), 1), 1),
        'wal_frames_per_call': round(max(frames, 0) / max(len(done), 1), 2),
        'wal_busy_before': bool(busy),  # the checkpoint before timing could not finish
        'wall_s': round(wall, 1),
        'rss_kb': proc_status(d.pid),
        'stages': stage_budget(stages_file, [c.get('t0') for c in done]),
    }
    if outputs:
        # (the timed NCID client is one more)
        out['outputs'] = {'ws_clients': args.ws_clients,
                          'ncid_clients': args.path_ncid_clients + (client is not None),
                          'mqtt': True}
    if client is not None:
        # NMBR -> the CID: line on the timed client's socket (the kernel's
        # stamp: ctid's write), and read by that client
        out['cid_sent_ms'] = ms_stats([c['cid_sent_ns'] for c in done if c.get('cid_sent_ns')])
        out['cid_read_ms'] = ms_stats([c['cid_read_ns'] for c in done if c.get('cid_read_ns')])
        out['cid_each'] = [[c.get('number'), round(c['cid_sent_ns'] / 1e6, 3)
                            if c.get('cid_sent_ns') else None] for c in done]
    if perf:
        out['perf'] = perf_top(h.path('perf.data'), args.build)
    if syscalls:
        out['syscalls'] = perf_trace_summary(h.path('trace.txt'), len(done))
    if sched:
        out['sched'] = sched_summary(h.path('sched.data'), ctidtest.threads(d.pid), len(done))
    if callgrind:
        names = [name for _, name in ctidtest.threads(d.pid)]
        subprocess.run(['callgrind_control', '-d', str(d.pid)], capture_output=True, timeout=120)
        out['instructions'] = callgrind_threads(cg_out, names, len(done))
        shutil.rmtree(callgrind, ignore_errors=True)
        os.makedirs(callgrind)
        for name in os.listdir(os.path.dirname(cg_out)):
            if name.startswith('callgrind.out.'):
                shutil.copy(os.path.join(os.path.dirname(cg_out), name), callgrind)
    if floor:
        out['notify_floor_cpu_ms_per_call'] = notify_floor(s, len(done))
        # the same popups at the calls' pace: after as long idle as each call
        pace_ms = min(wall * 1000 / max(len(done), 1), 5000)
        out['notify_floor_paced'] = {
            'gap_ms': round(pace_ms),
            'cpu_ms_per_call': notify_floor(s, min(len(done), 10), pace_ms)}
        # what the machine charges for the call's hand-offs and system calls,
        # back to back and at the calls' pace
        out['handoff'] = handoff(s, 5000)
        out['handoff_paced'] = handoff(s, min(len(done), 20), pace_ms)
    d.stop()
    yield out


def evict_db(db):
    """Drops the database file from the page cache, as for a caller whose
    pages nobody read for long. What is dirty is written first (fdatasync),
    so that no writeback runs during the call; the write-ahead log, written
    by the last calls, stays (it would be in the cache in life too)."""
    for suffix in ('-wal', ''):
        try:
            fd = os.open(db + suffix, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.fdatasync(fd)
            if suffix == '':
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def stage_ns(path, starts):
    """For each call (its NMBR line's ns in starts): ns from the NMBR line to
    each stage's first mark before the next call's, as a dict."""
    marks = []
    try:
        with open(path) as f:
            for line in f:
                name, _, ns = line.partition(' ')
                if ns.strip().isdigit():
                    marks.append((int(ns), name))
    except OSError:
        return []
    marks.sort()
    starts = [t for t in starts if t]
    bounds = starts[1:] + [1 << 62]
    calls = []
    j = 0
    for t0, t1 in zip(starts, bounds):
        while j < len(marks) and marks[j][0] < t0:
            j += 1
        first = {}
        k = j
        while k < len(marks) and marks[k][0] < t1:
            first.setdefault(marks[k][1], marks[k][0])
            k += 1
        calls.append({st: first[st] - t0 for st in STAGES if st in first})
    return calls


def stage_calls(path, starts):
    """stage_ns() in ms, for reading call by call."""
    return [{st: round(ns / 1e6, 3) for st, ns in c.items()} for c in stage_ns(path, starts)]


def stage_budget(path, starts):
    """For each stage: ms from the NMBR line to its first mark, p50 / p99."""
    calls = stage_ns(path, starts)
    per = {st: [c[st] for c in calls if st in c] for st in STAGES}
    return {st: ms_stats(v) for st, v in per.items() if v}


def perf_top(data, build, n=12):
    """The top self costs (perf report), as (percent, symbol, object)."""
    try:
        p = subprocess.run(['perf', 'report', '-i', data, '--stdio', '--no-children',
                            '--sort', 'dso,sym', '-g', 'none', '--percent-limit', '1'],
                           capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        return [('-', 'perf report failed: %s' % e, '')]
    out = []
    for line in p.stdout.splitlines():
        # "  9.09%  libsqlite3.so.0.8.6  [.] sqlite3VdbeExec" (--sort dso,sym)
        parts = line.split()
        if len(parts) >= 4 and parts[0].endswith('%') and parts[2] in ('[.]', '[k]'):
            out.append((parts[0], ' '.join(parts[3:]), parts[1]))
        if len(out) >= n:
            break
    return out


def measure_path(args, size, m, harness, scratch_copy, log):
    out = {}
    hot = [(c['number'], c['name']) for c in m['hot']]
    n = args.path_calls
    friendly = (hot * (n // max(len(hot), 1) + 1))[:n]
    real = realistic_callers(m['db'], n)
    builds = [('this', os.path.join(args.build, 'ctid/ctid'))]
    if args.ctid:
        builds.append(('other', os.path.abspath(args.ctid)))
    # Both builds' daemons are up at once, each on its own bus and copy of
    # the file, and the calls alternate between them (A B, then B A): this
    # machine's speed drifts by half within minutes, and builds taking
    # turns case by case compared two different machines.
    # the realistic calls: NMBR alone, NAME 100 ms later, then rings
    late_name = 'call {number} "{name}" name_delay=0.1 rings=2'
    cases = [('friendly', friendly, 'call {number} "{name}" rings=1', {'apart': False}),
             ('realistic', real, late_name, {})]
    if os.path.exists('/usr/sbin/mosquitto'):
        cases.append(('outputs', real, late_name, {'outputs': True}))
    # the realistic calls with one NCID client, which times the CID: line
    cases.append(('ncid', real, late_name, {'ncid': True}))
    cases.append(('cold', real, late_name, {'cold': True}))
    wanted = set(args.path_cases.split(','))
    skipped = set()
    for case, calls, fmt, opts in cases:
        if case not in wanted:
            continue
        what = case if case != 'outputs' else (
            'realistic case with %d WebSocket pages, %d NCID clients and an MQTT broker'
            % (args.ws_clients, args.path_ncid_clients))
        with contextlib.ExitStack() as stack:
            runs = []
            for label, ctid in builds:
                if label in skipped:
                    continue  # it could not start on this data
                log('%d: call path, %s build: %s, starting' % (size, label, what))
                h = stack.enter_context(harness())
                db = scratch_copy(m['db'], 'path-%d-%s.db' % (size, label),
                                  cold=opts.get('cold', False))
                run = path_run(
                    h, args, db, ctid, fmt, opts.get('cold', False),
                    # each hot caller once before: the measured call is their second
                    warmup=friendly[:min(len(hot), n)] if case == 'friendly' else (),
                    floor=case == 'realistic', outputs=opts.get('outputs', False),
                    apart=opts.get('apart', True), ncid=opts.get('ncid', False))
                try:
                    next(run)
                except RuntimeError as e:
                    log('%d: call path, %s build: skipped: %s' % (size, label, e))
                    skipped.add(label)
                    out.pop(label, None)
                    continue
                runs.append((label, ctid, run))
            log('%d: call path, %s: %d calls%s' % (
                size, what, len(calls), ', the builds in alternation' if len(runs) > 1 else ''))
            for i, call in enumerate(calls):
                for label, ctid, run in (runs if i % 2 == 0 else runs[::-1]):
                    run.send(call)
            for label, ctid, run in runs:
                out.setdefault(label, {'ctid': ctid})[case] = run.send(None)
        # passes of their own under a tool, each build: counts that do not
        # swing with the machine, where the CPU time does
        for what, tool, n_calls, option, key in (
                ('callgrind', 'valgrind', args.callgrind, 'callgrind', 'instructions'),
                ('perf trace', 'perf', args.syscalls, 'syscalls', 'syscalls'),
                ('perf sched', 'perf', args.sched, 'sched', 'sched')):
            # the outputs case too for the system calls and the scheduler:
            # what the pages, NCID's clients and MQTT add to the main loop's
            if case not in ('realistic', 'outputs') or not n_calls or \
                    shutil.which(tool) is None or (case == 'outputs' and option == 'callgrind'):
                continue
            for label, ctid in builds:
                if label not in out:
                    continue
                log('%d: call path, %s build: %s, %d calls under %s'
                    % (size, label, case, n_calls, what))
                with harness() as h:
                    db = scratch_copy(m['db'], 'path-%d.db' % size)
                    # a caller of its own first: the statements a call
                    # needs are prepared once in a daemon's life, not per call
                    # callgrind's: the folder its dumps are left in
                    value = True if option != 'callgrind' else os.path.join(
                        os.path.dirname(args.output), 'callgrind-%d-%s' % (size, label))
                    out[label].setdefault(case, {})[key] = one_case(
                        h, args, db, ctid, real[:n_calls], late_name, False,
                        warmup=friendly[:1], outputs=opts.get('outputs', False),
                        **{option: value}).get(key)
        if case == 'realistic' and args.perf and shutil.which('perf') is not None:
            # a pass of its own: perf's sampling costs the daemon CPU
            log('%d: call path: the realistic case again, under perf' % size)
            with harness() as h:
                db = scratch_copy(m['db'], 'path-%d.db' % size)
                out['this'].setdefault('realistic', {})['perf'] = one_case(
                    h, args, db, builds[0][1], real, late_name, False, perf=True).get('perf')
    if args.cpu_quota:
        quota = Quota(args.cpu_quota)
        if quota.path is None:
            out['small_box'] = {'skipped': quota.why}
            log('small box: skipped: ' + quota.why)
        else:
            log('%d: call path under %d %% of a CPU, %d calls' % (size, args.cpu_quota, n))
            try:
                with harness() as h:
                    db = scratch_copy(m['db'], 'path-%d.db' % size, cold=True)
                    out['small_box'] = one_case(
                        h, args, db, os.path.join(args.build, 'ctid/ctid'), real,
                        late_name, True, quota=quota)
                    out['small_box']['cpu_quota_pct'] = args.cpu_quota
            finally:
                quota.close()
    return out
