"""NCID clients: the NMBR line -> the CID: line, for ctid and for NCID's own
server, ncidd 1.6, side by side in one run, with the same simulated modem
(modemsim --timestamps prints the CLOCK_REALTIME time of each NMBR line)
and as many names: ctid's database of SIZE contacts, and ncidd's alias file
of SIZE aliases (NCID's way to put a name to a number). A client on each
reads the lines and stamps each read with CLOCK_REALTIME.

Three cases: the telco's NAME line right after NMBR (NCID's best case);
NMBR alone (ncidd waits for NAME until the next ring); and, for ctid, 200
idle NCID clients and one that never reads connected, with the popup's
latency (NMBR -> Notify, bench_listen) with and without them.

ncidd is built from NCID's public source outside the repository by
tests/bench/build-ncidd; without it the ncidd column says how to build it.
"""

import os
import socket
import time

import ctidtest
import schedtrace
from bench_path import ms_stats, stage_budget, stage_calls
from benchlib import NcidReader as Reader, Session, page_faults, proc_io, proc_status, spawn_crowd

NCIDD_HOW = ('git clone https://github.com/igor-sfdc/ncid /tmp/ncid && git -C /tmp/ncid '
             'checkout 7de7b301c57017e625e84266b75252b0c7ac8e3a && tests/bench/build-ncidd '
             '/tmp/ncid')


def summary(ns, calls):
    """ms_stats() of ns for calls placed: 'complete' of them were timed."""
    stats = ms_stats(ns)
    return dict(calls=calls, complete=stats.pop('n'), **stats)


# A caller of neither server's names, whose call each server takes before
# the timed ones: a daemon's first call prepares what the rest reuse (ctid's
# statements; tests/bench/run --only startup times that call), and was the
# p99 of the first case here (7.3 ms against 1.9 for the next worst).
WARM_UP = [('01632960999', 'WARM UP')]


def cid_calls(sim, client, calls, fmt, nmbr_ns, done, on_call=None):
    """Places each call (fmt with {number} and {name}); returns the summary
    of NMBR -> CID: as the client read it, with 'sent': the same to the
    line's arrival on the client's socket (the kernel's stamp), for the
    calls whose CID: line names the number. nmbr_ns() and done() read the
    simulator's stamps."""
    read, sent, each = [], [], []
    for number, name in calls:
        sim.send(fmt.format(number=number, name=name.upper()[:15]))
        t0 = nmbr_ns()
        read_ns, sent_ns = client.cid(number, t0, 15)
        if read_ns is not None:
            read.append(read_ns)
            if sent_ns is not None:
                sent.append(sent_ns)
            each.append([round(read_ns / 1e6, 3),
                         round(sent_ns / 1e6, 3) if sent_ns is not None else None])
        else:
            each.append(None)
        if on_call is not None:
            on_call(number, name, t0)
        done()
    out = summary(read, len(calls))
    out['sent'] = summary(sent, len(calls))
    out['each'] = each  # [read, on the socket] ms, call by call
    return out


# the budget for a CID: line (NMBR -> on the socket)
CID_BUDGET_MS = 2.0
CASES = {'alone': 'name', 'no_name': 'no_name', 'crowd': 'crowd', 'after': 'after'}


def slow_calls(trace, starts, out):
    """The calls whose CID: line left later than CID_BUDGET_MS, case by case,
    each with what the scheduler's trace saw in its time (schedtrace)."""
    timeline = schedtrace.Timeline(trace.path)
    slow = []
    for case, key in CASES.items():
        for k, (t0, each) in enumerate(zip(starts[case], out[key]['each'])):
            if not t0 or each is None or each[1] is None or each[1] <= CID_BUDGET_MS:
                continue
            begin = t0 - trace.offset_ns
            seen = timeline.explain(begin, begin + int(each[1] * 1e6))
            slow.append(dict(case=case, call=k, sent_ms=each[1], **seen))
    return slow


def measure_ctid(h, args, db, calls):
    port = ctidtest.free_port()
    s = Session(h, args.build, db, interval_ms=args.ncid_interval, modems=1,
                keep_open=args.keep_open)
    stages_file = h.path('stages.txt')
    s.env['CTID_STAGES'] = stages_file
    with open(s.config, 'w') as f:
        f.write('region = GB\nlisten = none\nncid-listen = 127.0.0.1:%d\n' % port)
    s.start_daemon()
    s.wait(lambda: any(e.get('member') == 'ModemAdded' for e in s.events), 120)
    s.settle(quiet=2.0, timeout=300)  # the start-up reminders are shown
    sim = s.sims[0]
    client = Reader(h, port)
    client.until('300 ', 30)
    notify = {'alone': [], 'no_name': [], 'crowd': [], 'after': []}
    phase = ['alone']

    since = [0]

    def nmbr_ns():
        since[0] = len(s.events)
        n = len(sim.nmbr)
        s.wait(lambda: len(sim.nmbr) > n, 15)
        return sim.nmbr[-1] if len(sim.nmbr) > n else 0

    def done():
        # until the daemon ended the call (its ring timeout after the last
        # ring): the end's lines to every client must not fall into the
        # next call's time
        d = sim.done
        s.wait(lambda: sim.done > d and s.find(start=since[0], kind='signal',
                                                 member='CallEnded') is not None, 30)
        s.settle(quiet=0.2, timeout=10)

    starts = {'alone': [], 'no_name': [], 'crowd': [], 'after': []}

    def on_call(number, name, t0):
        starts[phase[0]].append(t0)

        def find():
            return s.find(since_ns=t0, kind='notify', replaces=0, summary=name[:48])
        if t0 and s.wait(lambda: find() is not None, 10):
            k = find()
            notify[phase[0]].append(s.events[k]['ns'] - t0)

    # what each case cost the daemon in disk reads and page faults: the
    # later cases' lookups and writes took twice as long as the first's
    # (call by call, out['stage_calls']); this says whether from the disk
    io = {}

    def io_now():
        return (proc_io(s.daemon.pid).get('read_bytes', 0),) + tuple(page_faults(s.daemon.pid))

    def timed(case, some, fmt):
        """The calls some as the case called case (fmt as cid_calls')."""
        phase[0] = case
        before = io_now()
        res = cid_calls(sim, client, some, fmt, nmbr_ns, done, on_call)
        # KB read from the disk, minor and major page faults, a call
        io[case] = [round((b - a) / (1024 if i == 0 else 1) / max(len(some), 1), 1)
                    for i, (a, b) in enumerate(zip(before, io_now()))]
        return res

    out = {}
    n = args.ncid_calls
    cid_calls(sim, client, WARM_UP, 'call {number} "{name}" rings=1', nmbr_ns, done)
    trace = schedtrace.Trace(h, h.path('sched.data')) if args.sched_trace else None
    if trace is not None:
        trace.start()
    out['name'] = timed('alone', calls[:n], 'call {number} "{name}" rings=1')
    out['no_name'] = timed('no_name', calls[n:2 * n], 'call {number} rings=2')
    # the crowd lives in a process of its own, one thread reading them all
    # (as many clients on other machines would), so that its reads do not
    # hold up this process's stamps
    crowd = spawn_crowd(h, ncid_port=port, n_ncid=args.ncid_clients, log_name='ncid-crowd.log')
    stuck = socket.socket()
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    stuck.connect(('127.0.0.1', port))
    out['crowd'] = timed('crowd', calls[2 * n:3 * n], 'call {number} "{name}" rings=1')
    out['crowd']['clients'] = args.ncid_clients + 2
    out['rss_kb'] = proc_status(s.daemon.pid)
    stuck.close()
    crowd.stop()
    # the same alone again: what changed between the first case and the
    # crowd's that is not the crowd (the log grown, a checkpoint) shows here
    s.settle(quiet=1.0, timeout=30)
    out['after'] = timed('after', calls[3 * n:4 * n], 'call {number} "{name}" rings=1')
    if trace is not None:
        trace.stop()
        out['slow_calls'] = slow_calls(trace, starts, out)
    out['notify_alone'] = summary(notify['alone'], n)
    out['notify_no_name'] = summary(notify['no_name'], n)
    out['notify_crowd'] = summary(notify['crowd'], n)
    out['notify_after'] = summary(notify['after'], n)
    # where the time goes, stage by stage (common/stages.h), in each case
    out['stages'] = {case: stage_budget(stages_file, t0s) for case, t0s in starts.items()}
    # and call by call, to find where the slowest ones waited
    out['stage_calls'] = {case: stage_calls(stages_file, t0s) for case, t0s in starts.items()}
    out['starts'] = starts  # each call's NMBR line (CLOCK_REALTIME ns)
    out['io_per_call'] = io
    client.close()
    return out


def alias_file(path, size, calls):
    """size aliases in ncidd.alias's "name for a number" form (server/ncidd.alias:
    alias NAME * = "NAME" if NUMBER); the numbers called are the last lines,
    though ncidd walks the whole list for every call anyway."""
    with open(path, 'w') as f:
        for k in range(max(size - len(calls), 0)):
            f.write('alias NAME * = "Contact %d" if 019%08d\n' % (k, k))
        for number, name in calls[:size]:
            f.write('alias NAME * = "%s" if %s\n' % (name.replace('"', "'"), number))


def measure_ncidd(h, args, size, calls):
    ncidd = args.ncidd
    if not ncidd or not os.access(ncidd, os.X_OK):
        return {'skipped': 'NCID\'s ncidd 1.6 is not built (%s)' % NCIDD_HOW}
    work = h.mkdtemp('ncidd')
    for name in ('ncidd.blacklist', 'ncidd.whitelist'):  # ncidd stops without them
        open(os.path.join(work, name), 'w').close()
    alias_file(os.path.join(work, 'ncidd.alias'), size, calls)
    conf = os.path.join(work, 'ncidd.conf')
    with open(conf, 'w') as f:
        f.write('set ttyclocal = 1\n')  # a pty has no modem-control lines
    link = os.path.join(work, 'modem')
    sim = h.spawn_lines([os.path.join(args.build, 'tests/modemsim'), '--dialect', 'conexant',
                         '--interval', str(args.ncid_interval), '--timestamps', '--link', link],
                        log_name='modemsim-ncidd.log')
    if sim.expect('ready', 10) is None:
        return {'skipped': 'modemsim did not start'}
    port = ctidtest.free_port()
    p = lambda name: os.path.join(work, name)  # noqa: E731
    t_start = time.monotonic()
    daemon = h.spawn([ncidd, '-D', '-C', conf, '-t', link, '-p', str(port), '-A',
                      p('ncidd.alias'), '-c', p('cidcall.log'), '-d', p('ciddata.log'), '-P',
                      p('ncidd.pid'), '-B', p('ncidd.blacklist'), '-W', p('ncidd.whitelist'),
                      '-l', p('LCK..modem'), '-L', p('ncidd.log'), '-v', '1'],
                     log_name='ncidd.out')
    client = Reader(h, port, timeout=300, log_name='ncidd-client.log')
    if client.until('300 ', 60)[0] is None:
        return {'skipped': 'ncidd did not start: ' + daemon.log()[-300:]}
    out = {'startup_s': round(time.monotonic() - t_start, 2)}

    def nmbr_ns():
        line = sim.expect('event nmbr', 15)
        return int(line.split()[2]) if line else 0

    def done():
        sim.expect('event call done', 30)

    n = args.ncid_calls
    cid_calls(sim, client, WARM_UP, 'call {number} "{name}" rings=1', nmbr_ns, done)
    out['name'] = cid_calls(sim, client, calls[:n], 'call {number} "{name}" rings=1', nmbr_ns,
                            done)
    # NMBR alone: ncidd sends CID: when the next ring comes (ncidd.c formatCID)
    out['no_name'] = cid_calls(sim, client, calls[n:2 * n], 'call {number} rings=2', nmbr_ns,
                               done)
    out['rss_kb'] = proc_status(daemon.pid)
    client.close()
    daemon.stop()
    return out


def measure_ncid(args, size, m, harness, scratch_copy, log):
    calls = [(c['number'], c['name']) for c in m['hot']]
    calls = (calls * (4 * args.ncid_calls // max(len(calls), 1) + 1))[:4 * args.ncid_calls]
    out = {}
    log('%d: NCID clients: ctid, %d calls a case' % (size, args.ncid_calls))
    with harness() as h:
        out['ctid'] = measure_ctid(h, args, scratch_copy(m['db'], 'ncid-%d.db' % size), calls)
    log('%d: NCID clients: ncidd 1.6, %d aliases' % (size, size))
    with harness() as h:
        out['ncidd'] = measure_ncidd(h, args, size, calls)
    for c in out['ctid'].get('slow_calls', []):
        log('%d: NCID: %s case, call %d: CID: line on the socket at %.2f ms; %s'
            % (size, c['case'], c['call'], c['sent_ms'], schedtrace.describe(c)))
    if 'skipped' in out['ncidd']:
        log('ncidd: skipped: ' + out['ncidd']['skipped'])
    return out
