#!/usr/bin/python3
"""The layout holds: which folder may include which, and no circles.

1. Includes. Every #include "x.h" of a file is looked up in the folders it
   may include from: its own, common/'s, and those of the libraries below
   it (the table below, which the README's Layout section describes). A
   header found only in a folder it may not use is a wrong direction.
2. Circles between files. For the object files of each library and program
   (from the build), file A uses file B when A refers to a symbol B defines
   (nm). Within one library or program these uses must form no circle: each
   file can be read knowing only the files it uses.

Usage: test_layout.py SOURCE_ROOT BUILD_DIR
"""

import os
import re
import subprocess
import sys

import ctidtest

ROOT, BUILD = (os.path.abspath(p) for p in sys.argv[1:3])
tap = ctidtest.Tap()

# folder: the folders it may include from besides its own.
ALLOWED = {
    'common': [],
    'db/phone': ['common'],
    'db/addressbook': ['common'],
    'db': ['common', 'db/phone', 'db/addressbook'],
    'modem': ['common'],
    'modem/sim': ['common'],
    'ctid/sources': ['common'],
    'notify': ['common'],
    'ctid': ['common', 'db', 'db/phone', 'db/addressbook'],
    'ctid/dbus': ['common'],
    'ctid/mqtt': ['common'],
    'ctid/ncid': ['common'],
    'ctid/web': ['common', 'ctid', 'db', 'db/phone', 'db/addressbook'],
    'ctid/remote': ['common', 'ctid', 'db', 'db/phone', 'db/addressbook'],
    'ctid/ctl': ['common', 'ctid', 'ctid/dbus', 'db', 'db/phone', 'db/addressbook'],
    'ctid/daemon': ['common', 'ctid', 'ctid/dbus', 'db', 'db/phone', 'db/addressbook',
                    'modem', 'modem/sim', 'ctid/sources', 'notify', 'ctid/web', 'ctid/remote', 'ctid/mqtt',
                    'ctid/ncid'],
}
# Headers the build generates, by the folder that includes them.
GENERATED = {'ctid/dbus': {'introspect.h'}, 'ctid/web': {'web_resources.h'}}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def headers_in(folder):
    path = os.path.join(ROOT, folder)
    return {f for f in os.listdir(path) if f.endswith('.h')}


folders = {f: headers_in(f) for f in ALLOWED}
tap.ok(all(os.path.isdir(os.path.join(ROOT, f)) for f in ALLOWED),
       'every folder of the layout exists')

wrong = []
for folder, allowed in ALLOWED.items():
    for name in sorted(os.listdir(os.path.join(ROOT, folder))):
        if not name.endswith(('.c', '.h')):
            continue
        with open(os.path.join(ROOT, folder, name), errors='replace') as f:
            text = f.read()
        for inc in INCLUDE.findall(text):
            if inc in folders[folder] or inc in GENERATED.get(folder, ()):
                continue
            if any(inc in folders[a] for a in allowed):
                continue
            owners = [f for f, hs in folders.items() if inc in hs]
            wrong.append('%s/%s includes "%s" (%s)' % (folder, name, inc, ', '.join(owners) or
                                                       'no folder of ctid'))
tap.is_(wrong, [], 'every #include goes to the folder itself, common/ or a library below it')
# The folders of libraries that are peers include none of each other.
for a, b in (('modem', 'db'), ('modem', 'notify'), ('db', 'notify'), ('notify', 'modem'),
             ('notify', 'db'), ('db', 'modem'), ('modem/sim', 'modem'),
             ('ctid/sources', 'modem'), ('modem', 'ctid/sources'), ('ctid/sources', 'db'),
             ('ctid/sources', 'notify')):
    tap.ok(b not in ALLOWED[a], '%s/ may not include %s/' % (a, b))


def symbols(obj):
    """(defined, undefined) global symbols of an object file."""
    out = subprocess.run(['nm', obj], capture_output=True, text=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in 'TDBRC':
            defined.add(parts[2])
        elif len(parts) == 2 and parts[0] == 'U':
            used.add(parts[1])
    return defined, used


def cycle(graph):
    """A circle in graph ({node: {nodes}}) as a list, or None."""
    state = {}

    def visit(n, path):
        state[n] = 1
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                return path[path.index(m):] + [m]
            if m not in state:
                found = visit(m, path + [m])
                if found:
                    return found
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            found = visit(n, [n])
            if found:
                return found
    return None


# The object folders meson makes: one per library and program.
units = []
for dirpath, dirnames, filenames in os.walk(BUILD):
    if dirpath.endswith('.p') and '/tests' not in dirpath[len(BUILD):] and \
            'meson-' not in dirpath:
        objs = [os.path.join(dirpath, f) for f in filenames if f.endswith('.c.o')]
        if len(objs) > 1:
            units.append((os.path.relpath(dirpath, BUILD), objs))
tap.ok(len(units) >= 8, 'the build has the libraries and programs (%d)' % len(units),
       [u for u, _ in units])
for unit, objs in sorted(units):
    syms = {os.path.basename(o)[:-4]: symbols(o) for o in objs}
    owner = {}
    for name, (defined, _) in syms.items():
        for s in defined:
            owner[s] = name
    graph = {name: {owner[s] for s in used if s in owner and owner[s] != name}
             for name, (_, used) in syms.items()}
    found = cycle(graph)
    tap.ok(found is None, '%s: no circle between its files' % unit,
           ' uses '.join(found) if found else None)

sys.exit(tap.done())
