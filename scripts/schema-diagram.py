#!/usr/bin/env python3
"""The database schema as a Mermaid diagram, made from the migrations themselves.

Creates a fresh SQLite database with `maskfleet user add` (which applies every
migration of the schema, as the worker and the manager do at start), reads back its
tables, columns, keys and indexes, and writes them as a Mermaid `erDiagram` and an
index table between the markers

    <!-- schema-diagram:begin -->  ...  <!-- schema-diagram:end -->

of docs/database.md. Nothing in that part is written by hand, so it cannot drift
from the migrations; the test tests/docs/test_schema_diagram.py fails when it has.

    scripts/schema-diagram.py [--bin build/maskfleet] [--check | --write] [FILE]

--check (the default) exits 1 and prints the difference when FILE (default
docs/database.md) does not hold the current diagram; --write puts it there.
Standard library only.
"""
import argparse
import difflib
import os
import pathlib
import re
import sqlite3
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
BEGIN = "<!-- schema-diagram:begin -->"
END = "<!-- schema-diagram:end -->"


def make_database(binary, folder):
    """The SQLite file of a data folder in which every migration has run."""
    env = dict(os.environ, MASKFLEET_AUTH_PASSWORD_HASHING="minimum")
    subprocess.run([str(binary), "user", "add", "--data-dir", str(folder), "schema-probe"],
                   input="schema-probe-password\n", text=True, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    found = sorted(pathlib.Path(folder).rglob("*.db"))
    if not found:
        raise RuntimeError(f"no database in {folder}")
    return found[0]


def mermaid_type(declared):
    """'VARCHAR(254)' -> ('varchar', '254'), 'DOUBLE PRECISION' -> ('double', '')."""
    match = re.fullmatch(r"\s*([A-Za-z ]+?)\s*(?:\((\d+)\))?\s*", declared or "")
    if not match:
        return "unknown", ""
    name = match.group(1).lower().split()[0]
    return name, match.group(2) or ""


def read_schema(database):
    db = sqlite3.connect(database)
    tables = [row[0] for row in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid")]
    schema = []
    for table in tables:
        columns = db.execute(f'PRAGMA table_info("{table}")').fetchall()  # cid, name, type, notnull, default, pk
        keys = db.execute(f'PRAGMA foreign_key_list("{table}")').fetchall()  # id, seq, table, from, to, ...
        indexes = []
        unique_columns = set()
        for _, name, unique, origin, _partial in db.execute(f'PRAGMA index_list("{table}")').fetchall():
            cols = [r[2] for r in db.execute(f'PRAGMA index_info("{name}")').fetchall()]
            if origin == "u" and len(cols) == 1:
                unique_columns.add(cols[0])
            if origin == "c":  # made by CREATE INDEX (not a key's own index)
                indexes.append((name, cols, bool(unique)))
        schema.append({"table": table, "columns": columns, "keys": keys, "indexes": indexes,
                       "unique": unique_columns})
    return schema


def render(schema):
    lines = [BEGIN,
             "<!-- Made by scripts/schema-diagram.py from the migrations; do not edit by hand. -->",
             "", "```mermaid", "erDiagram"]
    for t in schema:
        foreign = {k[3] for k in t["keys"]}
        for k in t["keys"]:
            lines.append(f'  {k[2]} ||--o{{ {t["table"]} : "{k[3]}"')
    for t in schema:
        lines.append(f'  {t["table"]} {{')
        foreign = {k[3] for k in t["keys"]}
        for _cid, name, declared, notnull, _default, pk in t["columns"]:
            kind, size = mermaid_type(declared)
            marks = [m for m, on in (("PK", pk > 0), ("FK", name in foreign), ("UK", name in t["unique"])) if on]
            notes = [n for n in (size and f"{size} long", "null allowed" if not notnull and not pk else "") if n]
            note = f' "{", ".join(notes)}"' if notes else ""
            lines.append(f"    {kind} {name}{(' ' + ', '.join(marks)) if marks else ''}{note}")
        lines.append("  }")
    lines += ["```", "", "| index | table | columns |", "|---|---|---|"]
    for t in schema:
        for name, cols, unique in t["indexes"]:
            lines.append(f"| `{name}` | `{t['table']}` | {', '.join(cols)}{' (unique)' if unique else ''} |")
    lines.append(END)
    return "\n".join(lines)


def index_names(schema):
    return [name for t in schema for name, _cols, _unique in t["indexes"]]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", default=str(ROOT / "docs" / "database.md"))
    parser.add_argument("--bin", default=os.environ.get("MASKFLEET_BIN", str(ROOT / "build" / "maskfleet")))
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="the default")
    mode.add_argument("--write", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="maskfleet-schema-") as folder:
        schema = read_schema(make_database(args.bin, folder))
    block = render(schema)
    path = pathlib.Path(args.file)
    text = path.read_text()
    if BEGIN not in text or END not in text:
        print(f"schema-diagram: {path} has no {BEGIN} ... {END} part", file=sys.stderr)
        return 1
    start = text.index(BEGIN)
    end = text.index(END) + len(END)
    current = text[start:end]
    if args.write:
        path.write_text(text[:start] + block + text[end:])
        return 0
    problems = 0
    if current != block:
        sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), (block + "\n").splitlines(True),
                                                   f"{path} (as written)", "the migrations"))
        print(f"\nschema-diagram: {path} is not the schema of the migrations; run scripts/schema-diagram.py --write",
              file=sys.stderr)
        problems += 1
    # Every index is explained by hand beside the diagram.
    described = text[end:]
    for name in index_names(schema):
        if f"`{name}`" not in described:
            print(f"schema-diagram: {path} does not say why index {name} exists", file=sys.stderr)
            problems += 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
