#!/usr/bin/python3
"""The JSON schema's enum of finding ids is the set of recommendation files.

usage: check_finding_ids.py SCHEMA RECOMMENDATIONS_DIR

A finding id exists because its file analyzer/recommendations/ID.md does
(the build makes the enum from the files); docs/report-schema.json lists the
ids as an enum in $defs.finding_id.  A new file without its schema entry, or
an entry without its file, fails here with the names that differ.
"""
import json
import os
import sys


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip())
        return 2
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    enum = schema.get("$defs", {}).get("finding_id", {}).get("enum")
    if not isinstance(enum, list):
        print("FAIL: %s has no $defs.finding_id.enum" % argv[1])
        return 1
    files = {n[:-3] for n in os.listdir(argv[2]) if n.endswith(".md")}
    if not files:
        print("FAIL: no recommendation files in %s" % argv[2])
        return 1
    missing, extra = sorted(files - set(enum)), sorted(set(enum) - files)
    for n in missing:
        print("FAIL: %s.md has no entry in the schema's finding_id enum" % n)
    for n in extra:
        print("FAIL: the schema's finding_id enum names %s, which has no %s.md" % (n, n))
    if len(enum) != len(set(enum)):
        print("FAIL: the finding_id enum repeats an id")
        return 1
    if missing or extra:
        return 1
    print("finding_id enum = the %d recommendation files" % len(files))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
