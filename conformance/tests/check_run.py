#!/usr/bin/env python3
"""Runs bp-conformance once and checks its verdict and its reports.

  check_run.py --exe BP_CONFORMANCE --out DIR --name NAME
               (--expect pass | --expect fail --case CASE [--message TEXT])
               [--expect-status STATUS:CASE ...] -- SUITE_ARGS...

--expect pass: exit status 0, no failed case in the JSON report.
--expect fail: exit status 1 and CASE among the failed cases (its message
containing TEXT). Both also check that the JSON and JUnit reports are
written and agree. The suite's own output is echoed, except worker output
(which may hold sanitizer reports of a deliberately broken plugin).
"""
import argparse
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exe", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--expect", choices=["pass", "fail"], required=True)
    ap.add_argument("--case")
    ap.add_argument("--message", default="")
    ap.add_argument("--expect-status", action="append", default=[])
    ap.add_argument("suite_args", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    args = [x for x in a.suite_args if x != "--"]
    os.makedirs(a.out, exist_ok=True)
    json_path = os.path.join(a.out, a.name + ".json")
    junit_path = os.path.join(a.out, a.name + ".xml")
    for p in (json_path, junit_path):
        if os.path.exists(p):
            os.remove(p)
    cmd = [a.exe] + args + ["--json", json_path, "--junit", junit_path]
    print("running:", " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(proc.stdout)
    errors = []

    try:
        with open(json_path) as f:
            report = json.load(f)
    except (OSError, ValueError) as e:
        print("FAILED: no readable JSON report:", e)
        return 1
    try:
        junit = ET.parse(junit_path).getroot()
    except (OSError, ET.ParseError) as e:
        print("FAILED: no readable JUnit report:", e)
        return 1

    cases = report["cases"]
    failed = [c for c in cases if c["status"] == "fail"]
    for key in ("suite_version", "seed", "tier", "plugins", "summary"):
        if key not in report:
            errors.append("JSON report lacks '%s'" % key)
    if report["summary"]["failed"] != len(failed):
        errors.append("summary.failed %d but %d failed cases"
                      % (report["summary"]["failed"], len(failed)))
    if int(junit.get("failures")) != len(failed):
        errors.append("JUnit says %s failures, JSON %d" % (junit.get("failures"), len(failed)))
    if int(junit.get("tests")) != len(cases):
        errors.append("JUnit says %s tests, JSON %d" % (junit.get("tests"), len(cases)))
    for c in cases:
        if c["status"] == "pending":
            errors.append("case %s %s never finished" % (c["device"], c["name"]))
        if c["status"] == "fail" and not c["message"]:
            errors.append("failed case %s has no message" % c["name"])

    if a.expect == "pass":
        if proc.returncode != 0:
            errors.append("exit status %d, expected 0" % proc.returncode)
        for c in failed:
            errors.append("unexpected failure: %s %s: %s" % (c["device"], c["name"], c["message"]))
        if not a.expect_status and not any(c["status"] == "pass" for c in cases):
            errors.append("no case passed at all")
    else:
        if proc.returncode != 1:
            errors.append("exit status %d, expected 1" % proc.returncode)
        hit = [c for c in failed if c["name"] == a.case]
        if not hit:
            errors.append("expected case %s to fail; failed: %s"
                          % (a.case, ", ".join(sorted({c["name"] for c in failed})) or "none"))
        elif a.message and not any(a.message in c["message"] for c in hit):
            errors.append("case %s failed, but its message lacks '%s': %s"
                          % (a.case, a.message, hit[0]["message"]))
        else:
            print("caught as expected: %s: %s" % (a.case, hit[0]["message"]))
    for spec in a.expect_status:
        status, name = spec.split(":", 1)
        got = [c["status"] for c in cases if c["name"] == name]
        if status not in got:
            errors.append("expected %s to be '%s', got %s" % (name, status, got or "no such case"))

    if errors:
        print("FAILED:\n  " + "\n  ".join(errors))
        return 1
    print("OK (%d cases, %d failed)" % (len(cases), len(failed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
