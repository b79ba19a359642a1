#!/usr/bin/python3
"""Turns meson's testlog.json into one line per TAP check, so .ci/run can say
how many checks passed:

    ok NAME      a check that passed
    fail NAME    a check that failed; a test that crashed, ended early or
                 printed no check counts as one failure of its own
    skip NAME    a check skipped, with its reason (not counted as passed)

A skip because a program is missing ("... is not installed") is a failure:
.ci/run installs every program the suite needs (see .ci/packages), so such a
skip means that list is wrong."""
import json
import re
import sys

MISSING = re.compile(r'not installed|missing', re.I)

label, path = sys.argv[1], sys.argv[2]
try:
    lines = open(path, encoding="utf-8").read().splitlines()
except OSError as e:
    print(f"fail {label}: no test log ({e})")
    sys.exit(0)


def skipped(name, reason):
    verdict = "fail" if MISSING.search(reason) else "skip"
    print(f"{verdict} {label}/{name}: skipped: {reason.strip()}")


for line in lines:
    t = json.loads(line)
    name = t["name"]
    checks = 0
    whole_skip = None
    for out in (t.get("stdout") or "").splitlines():
        m = re.match(r"1\.\.0\s*#\s*SKIP\s*(.*)", out, re.I)
        if m:
            whole_skip = m.group(1) or "no reason given"
            continue
        if out.startswith("ok "):
            checks += 1
            desc = out[3:]
            if "# SKIP" in desc:
                what, reason = desc.split("# SKIP", 1)
                skipped(f"{name}: {what.strip()}", reason)
                continue
            verdict = "fail" if "# TODO" in desc else "ok"
            print(f"{verdict} {label}/{name}: {desc}")
        elif out.startswith("not ok "):
            checks += 1
            if "# TODO" in out:
                continue
            print(f"fail {label}/{name}: {out[7:]}")
    if whole_skip is not None:
        skipped(name, whole_skip)
    elif t["result"] not in ("OK", "EXPECTEDFAIL") or checks == 0:
        print(f"fail {label}/{name}: test ended {t['result']} after {checks} checks")
