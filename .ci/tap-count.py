#!/usr/bin/python3
"""Turns meson's testlog.json into one "ok NAME" / "fail NAME" line per TAP
check, so .ci/run can say how many checks passed. A test that crashed or
whose TAP output is incomplete counts as one failure of its own."""
import json
import sys

label, path = sys.argv[1], sys.argv[2]
try:
    lines = open(path, encoding="utf-8").read().splitlines()
except OSError as e:
    print(f"fail {label}: no test log ({e})")
    sys.exit(0)

for line in lines:
    t = json.loads(line)
    name = t["name"]
    checks = 0
    for out in (t.get("stdout") or "").splitlines():
        if out.startswith("ok "):
            checks += 1
            verdict = "fail" if "# TODO" in out else "ok"
            if "# SKIP" in out:
                continue  # a skipped check is not a pass
            print(f"{verdict} {label}/{name}: {out[3:]}")
        elif out.startswith("not ok "):
            checks += 1
            if "# TODO" in out:
                continue
            print(f"fail {label}/{name}: {out[7:]}")
    if t["result"] not in ("OK", "EXPECTEDFAIL") or checks == 0:
        print(f"fail {label}/{name}: test ended {t['result']} after {checks} checks")
