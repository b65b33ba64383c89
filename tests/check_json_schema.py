#!/usr/bin/python3
"""Validate coroner JSON reports against docs/report-schema.json.

usage: check_json_schema.py SCHEMA REPORT.json...

Run with Debian's /usr/bin/python3 (python3-jsonschema).  Exits 0 when every
report validates, 1 with one line per violation otherwise, 77 (ctest's
"skipped" code, see SKIP_RETURN_CODE) when jsonschema is not installed.
"""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("jsonschema is not installed (apt install python3-jsonschema)")
    sys.exit(77)


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip())
        return 2
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema, format_checker=jsonschema.FormatChecker())
    bad = 0
    for path in argv[2:]:
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
        errors = sorted(validator.iter_errors(report), key=lambda e: list(e.path))
        for e in errors:
            where = "/".join(str(p) for p in e.absolute_path) or "(top)"
            print(f"{path}: {where}: {e.message}")
        bad += len(errors)
        if not errors:
            print(f"{path}: valid")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
