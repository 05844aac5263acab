"""Parses a KTAP file with the kernel's own parser and prints the test tree as JSON.

    python3 ktap_tree.py KUNIT_DIR FILE

KUNIT_DIR holds tools/testing/kunit from a kernel source tree (kunit_parser.py and
kunit_printer.py). The parser's own report goes to stderr.
"""
import json
import sys

kunit_dir, path = sys.argv[1], sys.argv[2]
sys.path.insert(0, kunit_dir)
# kunit_printer binds sys.stdout when imported: keep its report off the JSON.
stdout, sys.stdout = sys.stdout, sys.stderr
import kunit_parser  # noqa: E402

sys.stdout = stdout


def tree(test):
    return {
        "name": test.name,
        "status": test.status.name,
        "errors": test.counts.errors,
        "log": list(test.log),
        "subtests": [tree(t) for t in test.subtests],
    }


with open(path, errors="backslashreplace") as f:
    lines = f.read().splitlines()
json.dump(tree(kunit_parser.parse_run_tests(lines)), sys.stdout)
