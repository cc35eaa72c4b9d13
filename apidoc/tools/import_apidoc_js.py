#!/usr/bin/env python3
"""Import PVE's apidoc.js (the API viewer's data) as a normalized apidoc JSON.

Every PVE node serves its own API schema at

    https://<node>:8006/pve-docs/api-viewer/apidoc.js

(no login needed; the pve-docs package must be installed, as it is by
default).  The file begins `const apiSchema = [` ... `];` and goes on with
the viewer's JavaScript.  This tool decodes that array and writes it in the
normalized form of apidoc_common.py (nulls dropped, children sorted by path,
sorted keys, indent=1), the same form as apidoc/pve-9.2.json, so the two can
be diffed and either can be given to the build via PROXMOXIA_APIDOC.

Usage:
    curl -k -o apidoc.js https://<node>:8006/pve-docs/api-viewer/apidoc.js
    import_apidoc_js.py apidoc.js -o my-pve.json
    # (a .gz or .xz input is decompressed; '-' reads stdin)

The bare JSON array (apidoc.js without its JavaScript around it, as the
proxmox-api repository keeps it in generator/PVE-schema.json.xz) is read too:

    import_apidoc_js.py PVE-schema.json.xz -o apidoc/pve-8.4.17.json

Standard library only.
"""

import argparse
import os
import sys

sys.dont_write_bytecode = True  # keep tools/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apidoc_common  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="apidoc.js as served by a PVE node, or the bare JSON "
                        "array ('-' for stdin)")
    parser.add_argument("-o", "--output", default="-", help="output file (default: stdout)")
    args = parser.parse_args(argv)

    try:
        tree = apidoc_common.normalize_tree(
            apidoc_common.extract_tree(apidoc_common.read_text(args.input)))
    except ValueError as err:
        raise SystemExit("%s: %s" % (args.input, err))
    apidoc_common.write(tree, args.output)
    sys.stderr.write("%s: %s\n" % (args.output, apidoc_common.summary(tree)))


if __name__ == "__main__":
    main()
