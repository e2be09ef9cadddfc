"""Execute one chapter as the book build does and print where its time goes, cell by cell.

    .venv/bin/python book/time_chapter.py book/06-equalize-nat.md [--save OUT.json] [--compare OLD.json]

The chapter runs in its own kernel, in its folder, with the environment the build gives it
(book/op1_exercises.py: the exercise pools built, the replays written, here into a temporary
folder), exactly as book/execute_parallel.py runs it.  It prints the kernel's start-up and
every code cell's seconds (nbclient's timestamps), longest first.  ``--save`` writes the cells'
outputs (text, HTML, Markdown; images by their size only) to a file; ``--compare`` reads such
a file and says which cells' outputs differ: a change that is meant only to make a chapter
faster must leave every output as it was.  Not part of the build or the tests.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _seconds(a: str, b: str) -> float:
    return (datetime.fromisoformat(b.replace("Z", "+00:00")) - datetime.fromisoformat(a.replace("Z", "+00:00"))).total_seconds()


def outputs(nb) -> list[list[str]]:
    """Each code cell's outputs as comparable text (a picture by its length: matplotlib's
    SVG and PNG bytes are not meant to be compared here)."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        out = []
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream":
                out.append(f"{o['name']}: {o['text']}")
            elif o.get("output_type") == "error":
                out.append(f"error: {o['ename']}: {o['evalue']}")
            else:
                for mime, data in sorted(o.get("data", {}).items()):
                    text = data if isinstance(data, str) else json.dumps(data, sort_keys=True)
                    text = re.sub(r" at 0x[0-9a-f]+>", " at 0x...>", text)     # an object's id
                    out.append(f"{mime}: " + (f"<{len(text)} chars>" if mime.startswith("image/") else text))
        cells.append(out)
    return cells


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="time_chapter.py", description=__doc__.splitlines()[0])
    ap.add_argument("chapter", type=Path)
    ap.add_argument("--save", type=Path, help="write the cells' outputs to this JSON file")
    ap.add_argument("--compare", type=Path, help="a --save file to compare the outputs with")
    args = ap.parse_args(argv)
    path = args.chapter.resolve()
    if not path.is_file():
        ap.error(f"no such chapter: {args.chapter}")
    sys.path[:0] = [str(ROOT), str(ROOT / "book")]
    import execute_parallel as ep
    from op1_exercises import set_chapter_environment
    ep._import_nbformat()
    with tempfile.TemporaryDirectory(prefix="op1-time-") as tmp:
        set_chapter_environment(Path(tmp))
        t = time.perf_counter()
        _, nb, seconds = ep.execute(path, record_timing=True)
        wall = time.perf_counter() - t
    if isinstance(nb, str):
        print(f"{path.name}: failed: {nb}")
        return 1
    code = [c for c in nb.cells if c.cell_type == "code"]
    rows = []
    for k, cell in enumerate(code):
        ex = cell.metadata.get("execution", {})
        if "iopub.execute_input" in ex and "shell.execute_reply" in ex:
            rows.append((_seconds(ex["iopub.execute_input"], ex["shell.execute_reply"]), k, cell.source))
    in_cells = sum(r[0] for r in rows)
    print(f"{path.name}: {seconds:.1f} s executing ({wall:.1f} s wall with reading), "
          f"{in_cells:.1f} s in its {len(code)} code cells, {seconds - in_cells:.1f} s outside them "
          f"(the kernel's start-up and shut-down)")
    for s, k, src in sorted(rows, reverse=True):
        first = next((line for line in src.splitlines() if line.strip() and not line.startswith(":")), "")
        print(f"  {s:6.2f} s  cell {k:2d}  {first[:90]}")
    got = outputs(nb)
    if args.save:
        args.save.write_text(json.dumps(got, indent=1) + "\n")
    if args.compare:
        old = json.loads(args.compare.read_text())
        bad = [k for k in range(max(len(old), len(got)))
               if (old[k] if k < len(old) else None) != (got[k] if k < len(got) else None)]
        print("outputs: " + ("the same as in " + str(args.compare) if not bad else
                             f"cells {bad} differ from {args.compare}"))
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
