#!/usr/bin/python3
"""ctid --demo, the Quick start's first command, as a newcomer runs it: it
ends by itself, the screen-pops' text is printed, nothing on it is an error,
and the web page's link it prints logs in to a page that has the demo's
calls.

Usage: test_demo.py CTID
"""

import os
import re
import subprocess
import sys

import ctidtest

CTID = os.path.abspath(sys.argv[1])
tap = ctidtest.Tap()

missing = ctidtest.require(ctidtest.PYTHON)
if missing:
    tap.skip_all('%s is not installed' % missing)

import requests  # noqa: E402  (python3-requests)

with ctidtest.Harness(timeout=120) as h:
    home = h.mkdtemp('home')
    env = {k: v for k, v in os.environ.items()
           if k not in ('DBUS_SESSION_BUS_ADDRESS', 'DISPLAY', 'WAYLAND_DISPLAY')}
    env.update(HOME=home, XDG_STATE_HOME=os.path.join(home, 'state'), TZ='UTC',
               LC_ALL='C.UTF-8')
    demo = subprocess.Popen([CTID, '--demo'], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    seen = []
    link = None
    for line in demo.stdout:
        seen.append(line)
        if line.startswith('  http://'):
            link = line
            break
    tap.ok(link, 'the demo prints a link to the web page', ''.join(seen))
    calls = None
    if link:
        s = requests.Session()
        r = s.get(link.strip(), allow_redirects=False, timeout=10)
        tap.ok(r.status_code == 303 and 'ctid_session' in s.cookies,
               'the link logs in', (r.status_code, r.headers))
        base = link.strip().split('/login/')[0]
        me = s.get(base + '/api/v1/session', timeout=10).json()
        tap.is_(me.get('role'), 'admin', 'as the first user of the demo, an admin')
        calls = s.get(base + '/api/v1/calls', timeout=10).json().get('calls', [])
        tap.ok(any(c['contact'] and c['contact']['name'] == 'Ivan Pozdniakov' for c in calls),
               'the page has the demo\'s client and calls', calls)
    rest, _ = demo.communicate(timeout=60)
    code = demo.returncode
    out = ''.join(seen) + rest
    tap.is_(code, 0, 'the demo ends by itself, successfully')
    tap.contains(out, 'Ivan Pozdniakov\n  020 7946 0018', 'the known client\'s popup is printed')
    tap.contains(out, 'Open: Black shoe cream', 'with his open request')
    tap.contains(out, 'Missed call from 01632 960472', 'the stranger rings out')
    tap.is_(re.findall(r'^ctid: (error|warning).*$', out, re.M), [],
            'nothing it prints is an error or a warning')
    tap.contains(out, 'contact show pozd', 'it ends saying what to try next')
    tap.ok(re.search(r'^ctid: notice: Web page at http://127\.0\.0\.1:\d+/$', out, re.M),
           'the daemon says where the page is, without -v', out)

    # The office in one terminal: two desks follow the demo's server.
    p = subprocess.run([CTID, '--demo', '--desks', '2'], env=env, capture_output=True,
                       text=True, timeout=90)
    out = p.stdout + p.stderr
    tap.is_(p.returncode, 0, 'ctid --demo --desks 2 ends by itself, successfully')
    for user in ('anna', 'boris'):
        mine = '\n'.join(m for m in re.findall(r'^  %-5s \| (.*)$' % user, out, re.M))
        tap.ok('Ivan Pozdniakov\n  020 7946 0018' in mine and 'Open: Black shoe cream' in mine
               and 'Missed call from 01632 960472' in mine,
               '%s\'s desk shows both calls, with the card' % user, out)
    tap.ok(len(re.findall(r'^  anna  \| Missed call from 01632 960472$', out, re.M)) == 1,
           'each call once on a desk', out)
    tap.is_(re.findall(r'^ctid: (error|warning).*$', out, re.M), [],
            'nothing the desks print is an error or a warning')
    p = subprocess.run([CTID, '--desks', '2'], env=env, capture_output=True, text=True,
                       timeout=30)
    tap.ok(p.returncode == 2 and '--desks goes with --demo' in p.stderr,
           '--desks without --demo is a usage error', p.stderr)

tap.done()
