"""One declaration of what a live environment needs (pyproject.toml), what follows from it,
the repository the book is built from, nbgitpuller links, and the kernels without myst-nb or
ipywidgets."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "book"))
import op1_live  # noqa: E402

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
EXTRAS = PROJECT["optional-dependencies"]


def requirement_lines(path: Path) -> list[str]:
    return [ln.split("#", 1)[0].strip() for ln in path.read_text().splitlines() if ln.split("#", 1)[0].strip()]


# -- one declaration -----------------------------------------------------------------------------

def test_binder_and_make_install_the_extras_of_pyproject():
    assert requirement_lines(ROOT / "binder" / "requirements.txt") == ["-e .[live]"]
    for name in ("requirements.txt", "requirements-book.txt"):
        (line,) = requirement_lines(ROOT / name)
        m = re.fullmatch(r"-e \.\[([\w,]+)\]", line)
        assert m, f"{name} should install the repository with extras, not list packages: {line}"
        assert set(m.group(1).split(",")) <= set(EXTRAS), f"{name} names an extra pyproject.toml lacks"
    assert "dev" in requirement_lines(ROOT / "requirements.txt")[0]
    assert "book" in requirement_lines(ROOT / "requirements-book.txt")[0]
    # the live kernel's needs: what the chapters import, and a kernel
    live = {re.split(r"[<>=\[ ]", r, maxsplit=1)[0].lower() for r in EXTRAS["live"]}
    assert {"matplotlib", "ipywidgets", "ipykernel", "jupytext"} <= live
    # the diagrams run Debian's ``dot`` (sim.view._dot): the Python package would be dead weight
    assert "graphviz" not in live
    assert any(d.startswith("scapy") for d in PROJECT["dependencies"])


def test_what_the_package_tells_a_user_to_install_is_what_pyproject_declares():
    from sim import _needs
    assert _needs.DIST == PROJECT["name"] and _needs.LIVE in EXTRAS
    assert _needs.IPYWIDGETS in EXTRAS["live"]
    from sim.exercises.notebook import chapter_notebook
    setup = "".join(chapter_notebook(2)["cells"][1]["source"])
    assert _needs.live_install_line() in setup and f"[{_needs.LIVE}]" in _needs.live_install_line()


def test_the_hub_lines_follow_from_pyproject_and_binder():
    repo = {"url": "https://github.com/me/fork", "branch": "main"}
    apt, pip, line = op1_live.hub_setup_lines(repo)
    # the diagrams' dot (Binder's apt.txt), and git, from which the pip line installs
    assert apt == "apt-get update && apt-get install -y graphviz git"
    assert "graphviz" in (ROOT / "binder" / "apt.txt").read_text().split()
    assert pip == f'pip install nbgitpuller "{PROJECT["name"]}[live] @ git+https://github.com/me/fork@main"'
    settings, mkdir, echo = line.split(" && ")
    assert settings.endswith('/share/jupyter/lab/settings"') and "sys.prefix" in settings
    written = json.loads(re.fullmatch(r"echo '(.*)' > \"\$settings/overrides.json\"", echo).group(1))
    assert written == json.loads((ROOT / "binder" / "overrides.json").read_text())
    # the settings line works alone, in a shell of its own, as a Dockerfile's RUN line runs it
    # (three lines once: the variable the first set was gone in the next RUN)
    with tempfile.TemporaryDirectory() as tmp:
        fake = Path(tmp) / "bin"
        fake.mkdir()
        (fake / "python").write_text(f"#!/bin/sh\necho {tmp}/prefix\n")
        (fake / "python").chmod(0o755)
        r = subprocess.run(["sh", "-c", line], env={"PATH": f"{fake}:/usr/bin:/bin"}, capture_output=True,
                           text=True)
        assert r.returncode == 0, r.stderr
        got = json.loads((Path(tmp) / "prefix/share/jupyter/lab/settings/overrides.json").read_text())
        assert got == written
    assert 'overrides.json" "$settings/overrides.json"' in (ROOT / "binder" / "postBuild").read_text()
    r = subprocess.run([sys.executable, str(ROOT / "book" / "op1_live.py"), "hub-setup"], capture_output=True,
                       text=True, env={k: v for k, v in os.environ.items() if not k.startswith("OP1_REPOSITORY")})
    assert r.returncode == 0 and f'{PROJECT["name"]}[live] @ git+' in r.stdout
    assert r.stdout.splitlines()[0] == apt


# -- nbgitpuller links -------------------------------------------------------------------------

def test_nbgitpuller_links_are_encoded_as_its_link_generator_does():
    repo = {"url": "https://github.com/me/my.fork", "branch": "fix/live"}
    link = op1_live.nbgitpuller_link("https://hub.example.org/", repo, "book/06-equalize-nat.md")
    assert link == ("https://hub.example.org/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Fme%2Fmy.fork"
                    "&urlpath=lab%2Ftree%2Fmy.fork%2Fbook%2F06-equalize-nat.md&branch=fix%2Flive")
    parts = urlsplit(link)
    assert parts.path == "/hub/user-redirect/git-pull"
    q = parse_qsl(parts.query, strict_parsing=True)
    assert [k for k, _ in q] == ["repo", "urlpath", "branch"]          # the generator's order
    assert dict(q) == {"repo": repo["url"], "urlpath": "lab/tree/my.fork/book/06-equalize-nat.md",
                       "branch": "fix/live"}
    assert all(re.fullmatch(r"[A-Za-z0-9*._%+-]*", v) for v in re.findall(r"=([^&]*)", parts.query))
    # URLSearchParams' form encoding: space is +, ~ is escaped, * is kept
    assert op1_live._form("a b~*/:") == "a+b%7E*%2F%3A"
    # a hub under a path keeps it
    sub = op1_live.nbgitpuller_link("https://uni.example/jupyter/", repo, "book/07-icmp.md")
    assert sub.startswith("https://uni.example/jupyter/hub/user-redirect/git-pull?repo=")


def test_the_guide_renders_its_hub_lines_and_links_at_build_time():
    text = (ROOT / "book" / "instructor-guide.md").read_text()
    assert "```{hub-setup}" in text
    paths = re.findall(r"```\{nbgitpuller-link\} (\S+)", text)
    assert paths and all((ROOT / p).is_file() for p in paths)
    assert "git-pull?" not in text                      # no hand-written (unencoded, unbreakable) link
    assert re.search(r"^  local_extensions:\n    op1_live: book/$", (ROOT / "_config.yml").read_text(), re.M)


def test_the_built_guide_and_launch_buttons_name_the_repository_built_from():
    page = ROOT / "_build" / "html" / "book" / "instructor-guide.html"
    if not page.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("the book is not built (make test builds it first)")
        pytest.skip("the book is not built: make book")
    html = page.read_text()
    repo = op1_live.repository()
    link = op1_live.nbgitpuller_link(op1_live.EXAMPLE_HUB, repo, "book/06-equalize-nat.md")
    assert link.replace("&", "&amp;") in html
    owner_repo = urlsplit(repo["url"]).path.strip("/")
    assert f'https://mybinder.org/v2/gh/{owner_repo}/{repo["branch"]}?urlpath=lab/tree/book/instructor-guide.md' in html


def test_the_cli_refuses_bad_input_in_one_line(tmp_path):
    for args, what in ((["link", "hub.example.org", "book/06-equalize-nat.md"], "'hub.example.org'"),
                       (["link", "https://hub.example.org/", "book/nope.md"], "'book/nope.md'"),
                       (["links"], "usage:")):
        r = subprocess.run([sys.executable, str(ROOT / "book" / "op1_live.py"), *args], capture_output=True, text=True)
        assert r.returncode == 2 and r.stdout == "" and what in r.stderr and "Traceback" not in r.stderr



def test_hub_setup_and_link_take_the_courses_version_with_ref(tmp_path):
    """An instructor's finding: `hub-setup` and `link` always named the book's branch (main), against
    the guide's "One version of the book for a course".  --ref names the version: hub-setup's pip
    line installs it (a tag, branch or commit); link pulls it (a branch: nbgitpuller merges
    origin/BRANCH at each later click, which a tag or a commit has not: refused).  A bad --ref is
    one line.  The guide's one-version section uses it."""
    live = lambda *a: subprocess.run([sys.executable, str(ROOT / "book" / "op1_live.py"), *a],
                                     capture_output=True, text=True)
    r = live("hub-setup", "--ref", "v2026.1")
    assert r.returncode == 0 and re.search(r'@ git\+https://\S+@v2026\.1"\n', r.stdout), r.stdout
    assert live("hub-setup", "--ref=0c1d2e3").stdout == r.stdout.replace("@v2026.1", "@0c1d2e3")
    r = live("link", "--ref", "course-2026", "https://hub.example.org/", "book/06-equalize-nat.md")
    assert r.returncode == 0 and dict(parse_qsl(urlsplit(r.stdout.strip()).query))["branch"] == "course-2026"
    assert live("link", "https://hub.example.org/", "book/06-equalize-nat.md", "--ref", "course-2026").stdout \
        == r.stdout
    for args, what in ((["hub-setup", "--ref", "a b"], "--ref 'a b' is not a tag, branch or commit name"),
                       (["hub-setup", "--ref", "../x"], "--ref '../x' is not"),
                       (["hub-setup", "--ref"], "--ref needs a tag, branch or commit name"),
                       (["link", "--ref", "2c0f5371", "https://hub.example.org/", "book/06-equalize-nat.md"],
                        "--ref 2c0f5371 looks like a commit: nbgitpuller pulls a branch"),
                       (["repository", "--ref", "x"], "--ref goes with hub-setup and link")):
        r = live(*args)
        assert r.returncode == 2 and r.stdout == "" and what in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    # a tag of the repository is refused for link (its first click would clone, every later one fail)
    repo = _tree(tmp_path / "t", None)
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q",
                    "--allow-empty", "-m", "x"], check=True)
    subprocess.run(["git", "-C", str(repo), "tag", "v9"], check=True)
    with pytest.raises(op1_live.RepositoryError, match="--ref v9 is a tag: nbgitpuller pulls a branch"):
        op1_live.check_ref("v9", branch_only=True, root=repo)
    assert op1_live.check_ref("v9", root=repo) == "v9"
    guide = " ".join((ROOT / "book" / "instructor-guide.md").read_text().split())
    one = guide[guide.index("### One version of the book for a course"):]
    assert "python book/op1_live.py hub-setup --ref v2026.1" in one
    assert "python book/op1_live.py link --ref course-2026 https://YOUR-HUB/ book/06-equalize-nat.md" in one

# -- which repository -------------------------------------------------------------------------

def _tree(tmp_path: Path, origin: str | None) -> Path:
    tmp_path.mkdir(parents=True)
    (tmp_path / "_config.yml").write_text((ROOT / "_config.yml").read_text())
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    if origin:
        subprocess.run(["git", "-C", str(tmp_path), "remote", "add", "origin", origin], check=True)
    return tmp_path


def test_the_repository_is_the_environment_else_origin_else_config(tmp_path):
    cfg = re.search(r"^  url: (\S+)", (ROOT / "_config.yml").read_text(), re.M).group(1)
    fork = _tree(tmp_path / "a", "git@github.com:someone/fork.git")
    assert op1_live.repository(fork, environ={}) == {"url": "https://github.com/someone/fork", "branch": "main",
                                                      "source": "git remote origin"}
    env = {"OP1_REPOSITORY_URL": "https://gitlab.com/class/book.git", "OP1_REPOSITORY_BRANCH": "spring"}
    assert op1_live.repository(fork, environ=env) == {"url": "https://gitlab.com/class/book", "branch": "spring",
                                                       "source": "OP1_REPOSITORY_URL"}
    local = _tree(tmp_path / "b", "/srv/git/book")                  # a clone of a clone (as in CI): no web URL
    assert op1_live.repository(local, environ={})["url"] == cfg
    assert op1_live.repository(_tree(tmp_path / "c", None), environ={})["source"] == "_config.yml"
    for bad, named in (({"OP1_REPOSITORY_URL": "ftp://x/y"}, "'ftp://x/y'"),
                       ({"OP1_REPOSITORY_BRANCH": "a b"}, "'a b'")):
        with pytest.raises(op1_live.RepositoryError, match=re.escape(named)):
            op1_live.repository(fork, environ=bad)


# -- kernels without the book's tool chain, or without ipywidgets ------------------------------

def _ipython(code: str, block: str) -> subprocess.CompletedProcess:
    prog = (f"import sys; sys.modules[{block!r}] = None\n"
            "from IPython.core.interactiveshell import InteractiveShell\n"
            "sh = InteractiveShell.instance()\n"
            f"r = sh.run_cell({code!r})\n"
            "print('ok' if r.success else 'failed')\n")
    return subprocess.run([sys.executable, "-c", prog], cwd=ROOT / "book", capture_output=True, text=True, timeout=300)


def test_glue_shows_its_value_without_myst_nb():
    r = _ipython("import booklib as bl\nbl.glue('c6_seed', 3.14159, '.2f')\nbl.glue_text('edition', 'student')",
                 "myst_nb")
    assert r.returncode == 0 and r.stdout.splitlines()[-1] == "ok", r.stdout + r.stderr
    assert "<IPython.core.display.Markdown object>" in r.stdout       # two displays, no traceback
    assert "Traceback" not in r.stdout + r.stderr


@pytest.mark.parametrize("code, what", [
    ("from sim.view import LivePlayer\nLivePlayer('equalize-nat', seed=3, size=3000)", "LivePlayer"),
    ("from sim.exercises import Exercise\nExercise('eqnat-remote', student='alice').widget()", "Check button"),
])
def test_a_widget_cell_without_ipywidgets_says_what_to_install_in_one_line(code, what):
    r = _ipython(code, "ipywidgets")
    lines = r.stdout.splitlines()
    assert r.returncode == 0 and lines[-1] == "ok", r.stdout + r.stderr
    (shown,) = lines[:-1]
    assert what in shown and 'pip install "ipywidgets>=8"' in shown and "[live]" in shown
    assert "Traceback" not in r.stdout + r.stderr


def test_using_the_missing_widget_raises_that_line_not_a_traceback():
    r = _ipython("from sim.view import LivePlayer\nLivePlayer('equalize-nat').controls", "ipywidgets")
    lines = r.stdout.splitlines()
    assert lines[-1] == "failed" and len(lines) == 2 and 'pip install "ipywidgets>=8"' in lines[0]
    assert "Traceback" not in r.stdout + r.stderr


def test_the_sphinx_extension_points_the_launch_buttons_at_the_repository(monkeypatch):
    from types import SimpleNamespace

    from sphinx.errors import ConfigError
    handlers, directives = {}, {}
    app = SimpleNamespace(add_config_value=lambda *a: None, connect=lambda ev, f, priority=500: handlers.setdefault(ev, f),
                          add_directive=lambda name, cls: directives.setdefault(name, cls))
    op1_live.setup(app)
    assert set(directives) == {"hub-setup", "nbgitpuller-link"}
    config = SimpleNamespace(html_theme_options={"repository_url": "https://github.com/upstream/book",
                                                 "launch_buttons": {"binderhub_url": "https://mybinder.org"}})
    monkeypatch.setenv("OP1_REPOSITORY_URL", "git@github.com:someone/fork.git")
    monkeypatch.setenv("OP1_REPOSITORY_BRANCH", "term-2")
    handlers["config-inited"](app, config)
    assert config.html_theme_options["repository_url"] == "https://github.com/someone/fork"
    assert config.html_theme_options["repository_branch"] == "term-2"
    assert config.op1_repository["source"] == "OP1_REPOSITORY_URL"
    monkeypatch.setenv("OP1_REPOSITORY_URL", "not a url")
    with pytest.raises(ConfigError, match="'not a url'"):
        handlers["config-inited"](app, config)
