#!/usr/bin/python3
"""The committed phone number table is what its generator makes of
libphonenumber's metadata, at the version the table records: nobody edited
it by hand, and the generator in the repository is the one that made it.

Usage: test_phone_data.py GENERATOR METADATA_DIR PHONE_DATA.C VERSION COMMIT
"""

import os
import re
import subprocess
import sys
import tempfile

import ctidtest

GENERATOR, METADATA, COMMITTED, VERSION, COMMIT = sys.argv[1:6]
tap = ctidtest.Tap()
xml = [os.path.join(METADATA, f) for f in ('PhoneNumberMetadata.xml', 'ShortNumberMetadata.xml')]
if not all(os.path.exists(p) for p in xml):
    # The metadata is not part of ctid (it is libphonenumber's); without it
    # there is nothing to compare with.
    tap.skip_all("libphonenumber's metadata %s is not in %s (meson configure "
                 "-Dphone-metadata=DIR)" % (VERSION, METADATA))

with open(COMMITTED) as f:
    committed = f.read()
head = re.search(r'release (\S+),\s*\n \* commit (\w+)', committed)
tap.ok(head and head.group(1) == VERSION and head.group(2) == COMMIT,
       'the table records the metadata version the build names (%s, %s)' % (VERSION, COMMIT[:12]),
       head and head.groups())
with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, 'phone_data.c')
    p = subprocess.run(['/usr/bin/python3', GENERATOR, *xml, out, '--version', VERSION,
                        '--commit', COMMIT], capture_output=True, text=True, timeout=120)
    tap.is_(p.returncode, 0, 'the generator runs on the metadata (%s)' % p.stderr.strip()[-200:])
    generated = open(out).read() if p.returncode == 0 else ''
    same = generated == committed
    if not same:
        diff = subprocess.run(['diff', '-u', COMMITTED, out], capture_output=True, text=True)
        tap.diag(diff.stdout[:3000])
    tap.ok(same, 'the committed db/phone/phone_data.c is exactly what it generates '
           '(%d lines)' % committed.count('\n'))

sys.exit(tap.done())
