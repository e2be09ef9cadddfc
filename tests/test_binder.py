"""The book live in Binder, as a new user meets it.

An environment built only from ``binder/`` -- ``binder/requirements.txt`` installed the way
Binder installs it (pip from the repository's root) on top of what Binder's base image has
(JupyterLab, ipykernel, nbclient), then ``binder/postBuild`` -- runs every page of
``_toc.yml`` top to bottom with nbclient in a kernel started in ``book/``, ``skip-execution``
cells included (two pages at a time), with no error, and every page with a ``LivePlayer``
cell shows a widget.

The environment is cached in ``_build/binder-env/KEY`` (KEY: a hash of ``binder/``,
``pyproject.toml``, the base image's packages, the Python and the repository's path), so an
unchanged tree does not reinstall; pip's own cache makes a reinstall fast.  It needs the
package registry on a first run and ``dot`` (graphviz, Binder's ``apt.txt``).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BASE_IMAGE = ["jupyterlab>=4,<5", "ipykernel", "nbclient"]     # what Binder's base image brings
CACHE = ROOT / "_build" / "binder-env"


def toc_pages() -> list[Path]:
    """Every page of _toc.yml, in its order."""
    text = (ROOT / "_toc.yml").read_text()
    names = re.findall(r"^\s*(?:root|-\s*file):\s*(\S+)\s*$", text, re.M)
    assert names, "no page found in _toc.yml"
    return [ROOT / (n if n.endswith(".md") else n + ".md") for n in names]


def clean_env(venv: Path) -> dict:
    """The environment of a Binder user: the venv's bin first, nothing of the project's venv."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "SIM_EXERCISES_KEY", "OP1_COURSE_SECRET")}
    env["PATH"] = os.pathsep.join([str(venv / "bin")] + [p for p in env.get("PATH", "").split(os.pathsep)
                                                         if not p.startswith(str(ROOT / ".venv"))])
    env["VIRTUAL_ENV"] = str(venv)
    return env


def _key() -> str:
    h = hashlib.sha256()
    for f in sorted((ROOT / "binder").iterdir()) + [ROOT / "pyproject.toml"]:
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    h.update(repr((BASE_IMAGE, sys.version, str(ROOT))).encode())
    return h.hexdigest()[:16]


def binder_env() -> Path:
    """The venv Binder would build from this tree (cached while binder/ and pyproject.toml
    are unchanged)."""
    home = CACHE / _key()
    venv = home / "venv"
    if (home / ".ready").exists():
        return venv
    shutil.rmtree(CACHE, ignore_errors=True)                     # older keys: one env at a time
    home.mkdir(parents=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = clean_env(venv)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    for args in (BASE_IMAGE, ["-r", "binder/requirements.txt"]):      # the base image, then the repository's
        r = subprocess.run(pip + args, cwd=ROOT, env=env, capture_output=True, text=True)
        assert r.returncode == 0, f"pip install {' '.join(args)} failed:\n{r.stderr[-3000:]}"
    r = subprocess.run(["bash", "binder/postBuild"], cwd=ROOT, env=dict(env, NB_PYTHON_PREFIX=str(venv)),
                       capture_output=True, text=True)
    assert r.returncode == 0, f"binder/postBuild failed:\n{r.stderr}"
    (home / ".ready").write_text("")
    return venv


@pytest.fixture(scope="module")
def venv():
    if shutil.which("dot") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("graphviz's dot is missing (binder/apt.txt; make test installs it)")
        pytest.skip("graphviz's dot is missing: apt-get install graphviz")
    return binder_env()


def test_binder_env_has_no_book_tool_chain_and_opens_chapters_as_notebooks(venv):
    py = str(venv / "bin" / "python")
    probe = ("import importlib.util as u, sim, sys; print(sim.__file__); "
             "print([m for m in ('myst_nb', 'jupyter_book', 'sphinx') if u.find_spec(m)])")
    r = subprocess.run([py, "-c", probe], cwd=ROOT / "book", env=clean_env(venv), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    where, tool_chain = r.stdout.splitlines()
    assert Path(where) == ROOT / "sim" / "__init__.py"          # -e .[live]: this tree, from book/ too
    assert tool_chain == "[]"                                   # the book's tool chain is not needed live
    settings = venv / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    assert json.loads(settings.read_text()) == json.loads((ROOT / "binder" / "overrides.json").read_text())
    viewers = json.loads(settings.read_text())["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert viewers["markdown"] == "Jupytext Notebook"
    r = subprocess.run([str(venv / "bin" / "jupyter"), "labextension", "list"], env=clean_env(venv),
                       capture_output=True, text=True)
    assert "jupyterlab-jupytext" in r.stdout + r.stderr and "enabled" in r.stdout + r.stderr


def test_every_page_runs_in_binder(venv, tmp_path):
    pages = toc_pages()

    def run(page: Path) -> dict:
        out = tmp_path / f"{page.stem}.json"
        r = subprocess.run([str(venv / "bin" / "python"), str(ROOT / "tests" / "live_run.py"), str(out), str(page)],
                           cwd=tmp_path, env=clean_env(venv), capture_output=True, text=True, timeout=1800)
        assert r.returncode == 0, f"{page.name}: {r.stderr[-3000:]}"
        return json.loads(out.read_text())[0]

    # two kernels at once on the 2-core machine, each taking the next page; pages with a live
    # player (the longest) first
    order = sorted(pages, key=lambda p: "LivePlayer(" not in p.read_text())
    with ThreadPoolExecutor(max_workers=max(1, min(2, os.cpu_count() or 1))) as pool:
        results = list(pool.map(run, order))
    assert sorted(Path(p["page"]) for p in results) == sorted(pages)
    print("seconds per page:", {Path(p["page"]).stem: p["seconds"] for p in results})
    failed = {Path(p["page"]).name: p["errors"][:2] for p in results if p["errors"]}
    assert not failed, f"pages that fail live: {failed}"
    with_player = [p for p in results if p["liveplayer"]]
    assert with_player, "no page has a LivePlayer cell"
    no_widget = [Path(p["page"]).name for p in with_player if p["widgets"] < 1]
    assert not no_widget, f"a LivePlayer cell showed no widget in {no_widget}"


def test_postbuild_sets_up_the_jupyterlab_on_path_without_an_activated_venv(tmp_path):
    """Run as the README says, from a shell where the environment is not activated,
    ``binder/postBuild`` puts the setting where the JupyterLab that ``jupyter lab`` starts
    reads it (its application directory), not in the prefix of whichever ``python`` comes
    first on PATH; Binder's $NB_PYTHON_PREFIX still comes first."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    app = tmp_path / "lab-env" / "share" / "jupyter" / "lab"
    (bin_ / "jupyter").write_text("#!/bin/sh\n[ \"$1 $2\" = 'lab path' ] || exit 2\n"
                                  f"echo 'Application directory:   {app}'\n"
                                  "echo 'User Settings directory: /nowhere'\n")
    (bin_ / "python").write_text(f"#!/bin/sh\necho {tmp_path / 'other-python'}\n")  # not the lab's
    for f in bin_.iterdir():
        f.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("NB_PYTHON_PREFIX", "VIRTUAL_ENV")}
    env["PATH"] = os.pathsep.join([str(bin_), "/usr/bin", "/bin"])
    r = subprocess.run(["bash", str(ROOT / "binder" / "postBuild")], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    want = app / "settings" / "overrides.json"
    assert json.loads(want.read_text()) == json.loads((ROOT / "binder" / "overrides.json").read_text())
    assert not (tmp_path / "other-python").exists() and str(want) in r.stdout
    # no jupyter on PATH: the prefix of `python`, as before
    (bin_ / "jupyter").unlink()
    r = subprocess.run(["bash", str(ROOT / "binder" / "postBuild")], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "other-python" / "share" / "jupyter" / "lab" / "settings" / "overrides.json").exists()
    # Binder: its prefix
    env["NB_PYTHON_PREFIX"] = str(tmp_path / "binder")
    r = subprocess.run(["bash", str(ROOT / "binder" / "postBuild")], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "binder" / "share" / "jupyter" / "lab" / "settings" / "overrides.json").exists()


def test_chapter_1s_try_it_writes_its_capture_where_the_file_browser_lists_it(tmp_path):
    """JupyterLab's file browser (Binder's, a laptop's) is rooted at the repository: the "Try it"
    cell writes its capture into the notebook's working directory, where it can be downloaded,
    not into a temporary directory the reader cannot reach."""
    import jupytext
    nb = jupytext.read(ROOT / "book" / "01-network.md")
    cell = next(c.source for c in nb.cells if c.cell_type == "code" and "write_pcap" in c.source)
    assert "skip-execution" in next(c for c in nb.cells if c.source == cell).metadata.get("tags", [])
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    (tmp_path / "book").mkdir()
    r = subprocess.run([sys.executable, "-c", cell], cwd=tmp_path / "book", env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert [f.name for f in (tmp_path / "book").iterdir()] == ["connection-level.pcapng"]
    assert (tmp_path / "book" / "connection-level.pcapng").read_bytes()[:4] == b"\x0a\x0d\x0d\x0a"   # pcapng
    assert not any((tmp_path / "tmp").iterdir())
    assert r.stdout.rstrip().endswith("wrote connection-level.pcapng")


def test_postbuild_merges_into_the_overrides_already_there(tmp_path):
    """A hub image's or a laptop's JupyterLab may have overrides of its own: postBuild keeps
    them, ours win only for the keys they set; a file that is not JSON (JupyterLab cannot read
    it either) is left as it is, with one line saying what to add."""
    ours = json.loads((ROOT / "binder" / "overrides.json").read_text())
    plugin = "@jupyterlab/docmanager-extension:plugin"
    settings = tmp_path / "share" / "jupyter" / "lab" / "settings"
    settings.mkdir(parents=True)
    mine = {"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"},
            plugin: {"autosave": False, "defaultViewers": {"csv": "CSVTable", "markdown": "Markdown Preview"}}}
    (settings / "overrides.json").write_text(json.dumps(mine))
    env = {**os.environ, "NB_PYTHON_PREFIX": str(tmp_path)}
    r = subprocess.run(["bash", str(ROOT / "binder" / "postBuild")], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    got = json.loads((settings / "overrides.json").read_text())
    viewers = {"csv": "CSVTable", **ours[plugin]["defaultViewers"]}
    assert got == {"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"},
                   plugin: {"autosave": False, "defaultViewers": viewers}}
    assert viewers["markdown"] == "Jupytext Notebook"
    # run again: the same file
    r = subprocess.run(["bash", str(ROOT / "binder" / "postBuild")], env=env, capture_output=True, text=True)
    assert r.returncode == 0 and json.loads((settings / "overrides.json").read_text()) == got
    # not JSON (a comment): kept byte for byte, one line naming the file and what to add
    json5 = '// mine\n{"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"}}\n'
    (settings / "overrides.json").write_text(json5)
    r = subprocess.run(["bash", str(ROOT / "binder" / "postBuild")], env=env, capture_output=True, text=True)
    assert r.returncode == 1 and (settings / "overrides.json").read_text() == json5
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert str(settings / "overrides.json") in r.stderr and "Jupytext Notebook" in r.stderr
    assert sorted(f.name for f in settings.iterdir()) == ["overrides.json"]


def test_postbuild_takes_the_environment_to_set_up(tmp_path):
    """A reader who installed into a venv without activating it (``venv/bin/pip install
    ...[live] jupyterlab``) runs ``bash binder/postBuild venv``: the setting goes into that
    environment's JupyterLab, whatever ``jupyter`` or ``python`` comes first on PATH (Debian's
    PATH has no ``python``: postBuild died with "python: command not found").  A bad argument
    gets one line naming it."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("NB_PYTHON_PREFIX", "VIRTUAL_ENV")}
    env["PATH"] = "/usr/bin:/bin"
    want = venv / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    ours = json.loads((ROOT / "binder" / "overrides.json").read_text())
    for arg in (str(venv), str(venv / "bin" / "python")):
        if want.exists():
            want.unlink()
        r = subprocess.run(["bash", str(ROOT / "binder" / "postBuild"), arg], env=env, cwd=tmp_path,
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert json.loads(want.read_text()) == ours and str(want) in r.stdout
    for bad in (str(tmp_path / "nowhere"), str(tmp_path)):
        r = subprocess.run(["bash", str(ROOT / "binder" / "postBuild"), bad], env=env, capture_output=True, text=True)
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert bad in r.stderr and "bash binder/postBuild .venv" in r.stderr
    # nothing on PATH at all: says what to give, no "command not found"
    r = subprocess.run(["/bin/bash", str(ROOT / "binder" / "postBuild")], env={**env, "PATH": str(tmp_path / "empty")},
                       capture_output=True, text=True)
    assert r.returncode == 2 and "no jupyter and no python on PATH" in r.stderr, r.stderr


def test_the_prefaces_local_route_sets_up_jupyterlab_as_the_readme_does():
    """A reader who followed the preface's "Locally" (``pip install ".[live]" jupyterlab``, open
    ``book/*.md`` in JupyterLab) got each chapter as raw MyST text on a double-click: the preface
    names the step that makes JupyterLab open them as notebooks, ``bash binder/postBuild ENV``
    into the environment that was installed, and the menu way without it -- the README's lines."""
    preface = " ".join((ROOT / "book" / "00-preface.md").read_text().split())
    local = preface[preface.index("*Locally.*"):]
    local = local[:local.index("```")]
    readme = " ".join((ROOT / "README.md").read_text().split())
    for step in ('ENV/bin/pip install ".[live]" jupyterlab', "bash binder/postBuild ENV", "ENV/bin/jupyter lab"):
        assert step in local, step
    assert "Open With, Jupytext Notebook" in local and "Open With, Jupytext Notebook" in readme
    assert "bash binder/postBuild ~/op1" in readme and '~/op1/bin/pip install "/path/to/the/repository[live]" jupyterlab' in readme
    assert local.index("bash binder/postBuild ENV") < local.index("ENV/bin/jupyter lab")   # set up, then started
