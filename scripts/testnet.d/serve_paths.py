#!/usr/bin/env python3
"""serve_paths.py DATA STATE TREE: rewrites the server configurations of a generation copied to
TREE so that they name STATE where gen wrote DATA (scripts/testnet up serves the generation from
STATE, a directory the servers' users can reach wherever TESTNET_DIR lies).

Each configuration is written as a new file (TREE may be hard links into DATA/gen, which must keep
naming DATA).  Only DATA as a whole path is replaced: followed by '/', white space, a quote, ';'
or the end of the line."""
import os
import re
import sys

CONFIGS = ("knot/knot.conf", "knot/knot-signed.conf", "nginx/nginx.conf", "postfix/main.cf", "postfix/master.cf")


def main():
    data, state, tree = sys.argv[1:]
    pat = re.compile(re.escape(data) + r'(?=[/\s";]|$)', re.M)
    for rel in CONFIGS:
        path = os.path.join(tree, rel)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(pat.sub(lambda _: state, text))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)


if __name__ == "__main__":
    main()
