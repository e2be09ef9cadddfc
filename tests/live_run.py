"""Run book pages in a Jupyter kernel as a reader's Jupyter does, in the Python under test.

    python tests/live_run.py OUT.json PAGE.md...

Run by the interpreter of the environment being tested (Binder's, a fresh ``pip install``),
never by the project's own venv.  Each page is converted with jupytext and executed top to
bottom in a ``python3`` kernel started in the page's folder (as JupyterLab starts one), cells
tagged ``skip-execution`` included -- the book's build skips those, a reader runs them.  With
nbclient installed (Binder's base image has it) nbclient executes; without it (``.[live]``
brings no front end) a plain jupyter_client loop does.  OUT.json gets, per page, its errors
(name, value, the traceback's last line), the number of widget outputs and whether the page
has a LivePlayer cell.
"""
import json
import sys
import time
from pathlib import Path

import jupytext
from jupyter_client.kernelspec import KernelSpecManager

WIDGET = "application/vnd.jupyter.widget-view+json"


def _via_nbclient(nb, cwd):
    from nbclient import NotebookClient
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True, skip_cells_with_tag="",
                   resources={"metadata": {"path": cwd}}).execute()


def _via_kernel(nb, cwd):
    from jupyter_client.manager import start_new_kernel
    km, kc = start_new_kernel(kernel_name="python3", cwd=cwd)
    try:
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            cell.outputs = []
            msg_id = kc.execute(cell.source)
            while True:
                msg = kc.get_iopub_msg(timeout=600)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                kind, content = msg["msg_type"], msg["content"]
                if kind == "status" and content["execution_state"] == "idle":
                    break
                if kind in ("stream", "display_data", "execute_result", "error"):
                    cell.outputs.append(dict(content, output_type=kind))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def run(page: Path) -> dict:
    nb = jupytext.read(page)
    t0 = time.monotonic()
    execute = _via_nbclient if _has_nbclient() else _via_kernel
    before = set(page.parent.iterdir())
    try:
        execute(nb, str(page.parent))
    except RuntimeError as e:
        # A kernel that died while it started, before running anything (CI run 60, once in many:
        # jupyter_client picks free ports and the kernel binds them later, so on a busy machine
        # another process can take one first) is started once more, as a reader would restart it.
        if "before replying to kernel_info" not in str(e):
            raise
        print(f"{page.name}: the kernel died while starting ({e}); starting another", file=sys.stderr)
        nb = jupytext.read(page)
        execute(nb, str(page.parent))
    finally:
        # what the page's own cells wrote beside it (chapter 1's "Try it" capture, for a reader
        # to download) is the reader's, not the repository's: gone once the page is run
        text = page.read_text()
        for f in set(page.parent.iterdir()) - before:
            if f.is_file() and f.name in text:
                f.unlink()
    errors, widgets = [], 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out["output_type"] == "error":
                tb = out.get("traceback") or [""]
                errors.append(f"{out['ename']}: {out['evalue']} | {tb[-1][:300]}")
            widgets += WIDGET in out.get("data", {})
    return {"page": str(page), "errors": errors, "widgets": widgets, "seconds": round(time.monotonic() - t0, 1),
            "liveplayer": any(c.cell_type == "code" and "LivePlayer(" in c.source for c in nb.cells),
            "code_cells": sum(c.cell_type == "code" for c in nb.cells)}


def _has_nbclient() -> bool:
    try:
        import nbclient  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> None:
    out, pages = Path(sys.argv[1]), [Path(p).resolve() for p in sys.argv[2:]]
    spec = KernelSpecManager().get_kernel_spec("python3")
    if spec.argv[0] not in (sys.executable, "python", "python3"):
        sys.exit(f"the python3 kernel would run {spec.argv[0]}, not this environment's {sys.executable}")
    out.write_text(json.dumps([run(p) for p in pages], indent=1))


if __name__ == "__main__":
    main()
