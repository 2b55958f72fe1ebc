#!/usr/bin/env python3
"""Cross-checks policies/ with an independent JSON Schema implementation.

sigmad's validator (daemon/policy) implements a subset of JSON Schema. This test makes
sure the shipped schemas are valid draft 2020-12 schemas for any other tool (editors,
CI linters) and that every shipped policy document validates under python3-jsonschema
too, so the schemas mean the same thing outside sigmad.
Usage: check_schemas.py POLICIES_DIR
"""
import json
import pathlib
import sys

import jsonschema
import yaml


def main() -> int:
    root = pathlib.Path(sys.argv[1])
    schemas = {}
    for path in sorted((root / "schema").glob("*.schema.json")):
        schema = json.loads(path.read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        kind = path.name[: -len(".schema.json")]
        schemas[kind] = jsonschema.Draft202012Validator(schema)
    if len(schemas) != 8:
        print(f"expected 8 schemas, found {sorted(schemas)}")
        return 1
    failures = 0
    checked = 0
    for set_dir in sorted(p for p in root.iterdir() if p.is_dir() and p.name != "schema"):
        for path in sorted(set_dir.glob("*.yaml")):
            # PyYAML reads YAML 1.1 (yes is a boolean, unquoted 01:00 a number), sigmad
            # YAML 1.2; the shipped files are written so both read them alike.
            for doc in yaml.safe_load_all(path.read_text()):
                if doc is None:
                    continue
                checked += 1
                validator = schemas.get(doc.get("kind"))
                if validator is None:
                    print(f"{path}: unknown kind {doc.get('kind')!r}")
                    failures += 1
                    continue
                for error in validator.iter_errors(doc):
                    print(f"{path}: {'.'.join(map(str, error.path))}: {error.message}")
                    failures += 1
    print(f"{len(schemas)} schemas valid (draft 2020-12); {checked} documents checked, "
          f"{failures} failures")
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
