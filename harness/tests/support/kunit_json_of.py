"""Parses a KTAP file with the kernel's own parser and prints kunit.py's --json of it
(tools/testing/kunit/kunit_json.py, KernelCI's test API).

    python3 kunit_json_of.py KUNIT_DIR FILE

KUNIT_DIR holds tools/testing/kunit from a kernel source tree (kunit_parser.py,
kunit_printer.py and kunit_json.py), of any version since 5.17. The parser's own report
goes to stderr.
"""
import inspect
import sys

kunit_dir, path = sys.argv[1], sys.argv[2]
sys.path.insert(0, kunit_dir)
# kunit_printer binds sys.stdout when imported: keep its report off the JSON.
stdout, sys.stdout = sys.stdout, sys.stderr
import kunit_json  # noqa: E402
import kunit_parser  # noqa: E402

sys.stdout = stdout

with open(path, errors="backslashreplace") as f:
    lines = f.read().splitlines()
# Since Linux 6.4 the parser takes a printer.
if "printer" in inspect.signature(kunit_parser.parse_run_tests).parameters:
    import kunit_printer  # noqa: E402

    test = kunit_parser.parse_run_tests(lines, kunit_printer.null_printer)
else:
    test = kunit_parser.parse_run_tests(lines)
print(kunit_json.get_json_result(test, kunit_json.Metadata()))
