"""Where the book runs live: the repository it was built from, the lines a JupyterHub image
needs, and nbgitpuller links.

The repository is, in this order: the environment variable ``OP1_REPOSITORY_URL`` at build
time (and ``OP1_REPOSITORY_BRANCH``), else the git remote ``origin`` of the working tree,
else ``repository:`` in ``_config.yml``.  A fork's built site thus launches the fork.

Also a Sphinx extension (``_config.yml``: ``sphinx.local_extensions``): it sets the launch
buttons' repository and gives the directives ``hub-setup`` (the hub image's lines) and
``nbgitpuller-link`` (a link that pulls the repository and opens a chapter).  Only the
standard library is imported outside ``setup``.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import tomllib
from pathlib import Path
from urllib.parse import quote_plus, urlsplit

ROOT = Path(__file__).resolve().parent.parent
URL_ENV, BRANCH_ENV = "OP1_REPOSITORY_URL", "OP1_REPOSITORY_BRANCH"
HOSTS = ("github.com", "gitlab.com", "bitbucket.org")    # what Binder and the theme's buttons know
EXAMPLE_HUB = "https://hub.example.org/"


class RepositoryError(ValueError):
    pass


def web_url(url: str) -> str | None:
    """``https://HOST/OWNER/REPO`` for a clone URL of a known host (https, ssh or scp-like,
    with or without ``.git``), else None."""
    url = url.strip()
    m = re.fullmatch(r"(?:ssh://)?git@([\w.-]+)[:/]([\w.-]+)/([\w.-]+?)(?:\.git)?/?", url)
    if m is None:
        m = re.fullmatch(r"https?://(?:[^@/]+@)?([\w.-]+)/([\w.-]+)/([\w.-]+?)(?:\.git)?/?", url)
    if m is None or m.group(1).lower() not in HOSTS:
        return None
    return f"https://{m.group(1).lower()}/{m.group(2)}/{m.group(3)}"


def _config_repository(root: Path) -> tuple[str, str]:
    text = (root / "_config.yml").read_text()
    block = re.search(r"^repository:\n((?:[ \t]+.*\n?)+)", text, re.M)
    fields = dict(re.findall(r"^[ \t]+(url|branch):[ \t]*(\S+)", block.group(1), re.M)) if block else {}
    return fields.get("url", ""), fields.get("branch", "main")


def repository(root: Path = ROOT, environ=os.environ) -> dict:
    """``{"url", "branch", "source"}`` of the repository the book is built from."""
    cfg_url, branch = _config_repository(root)
    branch = environ.get(BRANCH_ENV) or branch
    if not re.fullmatch(r"[\w./-]+", branch) or ".." in branch:
        where = BRANCH_ENV if environ.get(BRANCH_ENV) else "_config.yml's repository.branch"
        raise RepositoryError(f"{where}={branch!r} is not a branch name "
                              "(letters, digits, '.', '_', '-', '/')")
    if environ.get(URL_ENV):
        url = web_url(environ[URL_ENV])
        if url is None:
            raise RepositoryError(f"{URL_ENV}={environ[URL_ENV]!r} is not a repository URL: give "
                                  "https://HOST/OWNER/REPO on one of " + ", ".join(HOSTS))
        return {"url": url, "branch": branch, "source": URL_ENV}
    try:
        origin = subprocess.run(["git", "-C", str(root), "remote", "get-url", "origin"],
                                capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        origin = ""
    if origin and web_url(origin):
        return {"url": web_url(origin), "branch": branch, "source": "git remote origin"}
    return {"url": cfg_url, "branch": branch, "source": "_config.yml"}



def repo_file(path: str, text: str | None = None, root: Path = ROOT, environ=os.environ) -> str:
    """A Markdown link to ``path`` (from the repository's root) in the repository the book is
    built from (``repository()``), for a reader of the web page; ``text``: the link's words
    (default: the path as code)."""
    repo = repository(root, environ)
    host = repo["url"].split("/")[2]
    how = {"gitlab.com": "/-/blob/", "bitbucket.org": "/src/"}.get(host, "/blob/")
    return f"[{text or f'`{path}`'}]({repo['url']}{how}{repo['branch']}/{path})"

# -- a JupyterHub image -------------------------------------------------------------------------

def live_extra(root: Path = ROOT) -> tuple[str, str]:
    """(distribution name, the extra for live kernels) as pyproject.toml declares them."""
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    if "live" not in project.get("optional-dependencies", {}):
        raise RepositoryError("pyproject.toml declares no extra 'live'")
    return project["name"], "live"


def hub_setup_lines(repo: dict, root: Path = ROOT) -> list[str]:
    """Shell lines for a hub's user image: the system's packages (Binder's apt.txt: graphviz's
    ``dot`` for the diagrams; and git, with which pip installs from the repository; run as
    root), install the simulator with its extra ``live`` from the repository, and make
    JupyterLab open the chapters as notebooks (binder/overrides.json, what binder/postBuild
    installs)."""
    dist, extra = live_extra(root)
    overrides = json.loads((root / "binder" / "overrides.json").read_text())
    apt = [line.strip() for line in (root / "binder" / "apt.txt").read_text().splitlines()
           if line.strip() and not line.startswith("#")]
    # three lines, each complete in itself: a Dockerfile runs each RUN line in a shell of its own,
    # where a variable set by an earlier one is gone
    return [
        f"apt-get update && apt-get install -y {' '.join(dict.fromkeys(apt + ['git']))}",
        f'pip install nbgitpuller "{dist}[{extra}] @ git+{repo["url"]}@{repo["branch"]}"',
        "settings=\"$(python -c 'import sys; print(sys.prefix)')/share/jupyter/lab/settings\" && "
        'mkdir -p "$settings" && '
        f"echo '{json.dumps(overrides)}' > \"$settings/overrides.json\"",
    ]


# -- nbgitpuller ---------------------------------------------------------------------------------

def _form(value: str) -> str:
    """application/x-www-form-urlencoded, as a browser's URLSearchParams writes it (nbgitpuller's
    link generator): letters, digits and ``*-._`` stay, a space is ``+``, all else %XX."""
    return quote_plus(value, safe="*").replace("~", "%7E")


def nbgitpuller_link(hub: str, repo: dict, path: str, app: str = "lab") -> str:
    """The link nbgitpuller's link generator makes: ``HUB/hub/user-redirect/git-pull?repo=...
    &urlpath=lab/tree/REPO-NAME/PATH&branch=...`` (the repository is pulled into a folder named
    as the repository)."""
    name = urlsplit(repo["url"]).path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    urlpath = {"lab": f"lab/tree/{name}/{path}", "classic": f"tree/{name}/{path}"}[app]
    query = "&".join(f"{k}={_form(v)}" for k, v in
                     (("repo", repo["url"]), ("urlpath", urlpath), ("branch", repo["branch"])))
    return hub.rstrip("/") + "/hub/user-redirect/git-pull?" + query


# -- Sphinx ----------------------------------------------------------------------------------------

def setup(app):
    from docutils import nodes
    from sphinx.errors import ConfigError
    from sphinx.util.docutils import SphinxDirective

    def config_inited(app, config):
        try:
            repo = repository()
        except RepositoryError as e:
            raise ConfigError(str(e)) from None
        config.op1_repository = repo
        if repo["url"]:
            config.html_theme_options["repository_url"] = repo["url"]
            config.html_theme_options["repository_branch"] = repo["branch"]

    class HubSetup(SphinxDirective):
        """The lines a JupyterHub image needs, as a shell code block."""
        def run(self):
            for dep in (ROOT / "pyproject.toml", ROOT / "binder" / "overrides.json", Path(__file__)):
                self.env.note_dependency(str(dep))           # re-read the page when these change
            text = "\n".join(hub_setup_lines(self.config.op1_repository))
            block = nodes.literal_block(text, text, language="bash")
            return [block]

    class NbgitpullerLink(SphinxDirective):
        """``nbgitpuller-link PATH``: the link for EXAMPLE_HUB, in a code block (one line that
        scrolls inside its box, so the page stays as narrow as a phone)."""
        required_arguments = 1

        def run(self):
            self.env.note_dependency(__file__)
            link = nbgitpuller_link(EXAMPLE_HUB, self.config.op1_repository, self.arguments[0])
            return [nodes.literal_block(link, link, language="none")]

    app.add_config_value("op1_repository", {}, "env")
    app.connect("config-inited", config_inited, priority=400)
    app.add_directive("hub-setup", HubSetup)
    app.add_directive("nbgitpuller-link", NbgitpullerLink)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


USAGE = ("usage: python book/op1_live.py repository | hub-setup [--ref REF] | link [--ref BRANCH] HUB-URL "
         "CHAPTER-FILE...\n"
         "  --ref: the version to install (hub-setup: a tag, branch or commit) or to pull (link: a branch)\n"
         "  instead of the book's branch, e.g. a course's tag: one version of the book for a course\n"
         "  e.g. python book/op1_live.py link https://hub.example.org/ book/06-equalize-nat.md")


def check_ref(ref: str, branch_only: bool = False, root: Path = ROOT) -> str:
    """``ref`` (``--ref``) if it can name a git tag, branch or commit; ``branch_only`` (nbgitpuller,
    which clones ``--branch REF`` and on every later pull merges ``origin/REF``, which a tag or a
    commit does not have): refused when it is a commit hash or a tag of this repository."""
    if not ref:
        raise RepositoryError("--ref needs a tag, branch or commit name, e.g. --ref v1.0")
    if not (re.fullmatch(r"[A-Za-z0-9_][\w./-]{0,199}", ref) and ".." not in ref and "//" not in ref
            and not ref.endswith(("/", ".", ".lock"))):
        raise RepositoryError(f"--ref {ref!r} is not a tag, branch or commit name (letters, digits, '.', '_', "
                              "'-', '/', starting with a letter, digit or '_')")
    if branch_only:
        if re.fullmatch(r"[0-9a-f]{7,40}", ref):
            raise RepositoryError(f"--ref {ref} looks like a commit: nbgitpuller pulls a branch; make one there "
                                  f"(git push origin {ref}:refs/heads/BRANCH) and give --ref BRANCH")
        try:
            tag = subprocess.run(["git", "-C", str(root), "rev-parse", "-q", "--verify", f"refs/tags/{ref}"],
                                 capture_output=True, text=True, timeout=10).returncode == 0
        except (OSError, subprocess.SubprocessError):
            tag = False
        if tag:
            raise RepositoryError(f"--ref {ref} is a tag: nbgitpuller pulls a branch (a tag is cloned once, and "
                                  f"every later pull fails); make one there (git push origin "
                                  f"{ref}^{{commit}}:refs/heads/BRANCH) and give --ref BRANCH")
    return ref


def main(argv: list[str]) -> int:
    """The repository, the hub image's lines, or nbgitpuller links for your hub."""
    import sys
    try:
        repo = repository()
        argv = list(argv)
        for i, arg in enumerate(argv[1:], 1):          # --ref REF or --ref=REF, after the command
            if arg == "--ref" or arg.startswith("--ref="):
                ref = arg[6:] if arg.startswith("--ref=") else (argv[i + 1] if i + 1 < len(argv) else "")
                del argv[i:i + (1 if arg.startswith("--ref=") else 2)]
                if argv[0] not in ("hub-setup", "link"):
                    raise RepositoryError(f"--ref goes with hub-setup and link, not {argv[0]}")
                repo = dict(repo, branch=check_ref(ref, branch_only=argv[0] == "link"))
                break
        if argv == ["repository"]:
            print(json.dumps(repo))
        elif argv == ["hub-setup"]:
            print("\n".join(hub_setup_lines(repo)))
        elif len(argv) >= 3 and argv[0] == "link":
            hub = argv[1]
            if urlsplit(hub).scheme not in ("http", "https") or not urlsplit(hub).netloc:
                raise RepositoryError(f"hub URL {hub!r} is not an http(s) URL such as {EXAMPLE_HUB}")
            for path in argv[2:]:
                if not (ROOT / path).is_file() or Path(path).is_absolute():
                    raise RepositoryError(f"{path!r} is not a file of the repository: give a path such "
                                          "as book/06-equalize-nat.md")
            for path in argv[2:]:
                print(nbgitpuller_link(hub if hub.endswith("/") else hub + "/", repo, path))
        else:
            print(USAGE, file=sys.stderr)
            return 2
    except RepositoryError as e:
        print(f"op1_live: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(main(sys.argv[1:]))
