"""The page component: one exercise as self-contained HTML + vanilla JavaScript.

``exercise_html(chapter, ex_id, student=None)`` returns a ``<div data-exercise=...>``
with the prompt, the replay up to the question, the choices, a Check and an
Export button, and the data the checker needs -- salted hashes and encrypted
text, no answer in plain text (see ``model.Instance.sealed``).  The same markup
works in a static Jupyter Book page, in Jupyter (``Exercise._repr_html_``) and
in a stand-alone page (``page_html``, ``python -m sim.exercises page``).

The instructor edition adds the key in plain text: pass ``key=True`` or set
the environment variable ``SIM_EXERCISES_KEY=1`` (``make book-instructor``).
"""
from __future__ import annotations

import html
import json
import os
import re
import sys

from . import site
from .bank import BANK, ExerciseError, chapter_ids, check_chapter, instance, where_to_run
from .model import REVEAL_TITLE, Instance, context_title
from .variants import BOOK_STUDENT, course_for, keyed  # BOOK_STUDENT: the variant a page shows when no student is given

KEY_ENV = "SIM_EXERCISES_KEY"
CHOOSE = "choose…"          # a configuration's setting not chosen yet (the page's and the notebook's)

from ._js import JS as _JS

CSS = """
.sx-exercise{color-scheme:light;border:1px solid #c9d3de;border-left:4px solid #2b6cb0;border-radius:4px;padding:.8em 1em;margin:1em 0;
  font-family:system-ui,-apple-system,"Segoe UI",sans-serif;font-size:.9375rem;line-height:1.45;background:#fbfcfe;color:#1a202c}
/* (The title, the traces and the code at a weight above JupyterLab's rules for an HTML output's
   headings, pre and code, (0,2,1) and (0,2,2): in a notebook they drew the trace and the code in the
   theme's colours -- white on black in its dark theme, inside the light box --, at 15 px, without
   the box's frame and padding, and moved the title down.) */
.sx-exercise.sx-exercise.sx-exercise h3{margin:.1em 0 .5em;font-size:1.05em;font-weight:bold;line-height:1.45}
/* The box keeps its own light colours in a dark theme: its text must not take the theme's light ones. */
.sx-exercise h3,.sx-exercise pre,.sx-exercise code,.sx-exercise label,.sx-exercise legend,.sx-exercise summary,
  .sx-exercise p,.sx-exercise b{color:#1a202c}
.sx-exercise .sx-meta{color:#4a5568;font-size:.8125rem;font-weight:normal}
.sx-exercise.sx-exercise.sx-exercise pre{color:#1a202c;background:#f1f4f8;border:1px solid #dde3ea;padding:.5em;overflow-x:auto;
  font-size:.75rem;line-height:1.35;white-space:pre-wrap;overflow-wrap:anywhere}
.sx-exercise.sx-exercise.sx-exercise code{color:#1a202c;background:#eef1f5;padding:0 .2em;border-radius:2px;font-size:.92em;
  white-space:normal;line-height:inherit}
.sx-exercise.sx-exercise.sx-exercise .sx-meta code{font-size:1em}
.sx-exercise fieldset{border:0;padding:0;margin:.5em 0}
.sx-exercise label{display:inline-flex;flex-wrap:wrap;align-items:center;gap:.35em;min-height:32px;margin:.1em 1em .1em 0;cursor:pointer}
/* a choice's words stay beside its radio, wrapping there (at 320 px "miss, the kernel chooses
   again" went under its radio, which then read as a choice without words); a setting's name and
   its menu may go one under the other */
.sx-exercise .sx-choices label{flex-wrap:nowrap}
/* Touch targets at least 24 CSS px (WCAG 2.2, 2.5.8), and 16 px text in what a phone's keyboard edits
   (iOS zooms the page into a smaller one). */
.sx-exercise input[type=radio],.sx-exercise input[type=checkbox]{width:20px;height:20px;margin:0;flex:none}
.sx-exercise select,.sx-exercise input.sx-input{font-size:1rem;padding:.15em .3em;margin-right:.8em;min-height:32px}
.sx-exercise summary{min-height:28px;padding:.2em 0;cursor:pointer}
.sx-exercise button{font-size:.875rem;padding:.25em .9em;margin:.4em .5em .2em 0;border:1px solid #2b6cb0;border-radius:3px;
  background:#2b6cb0;color:#fff;cursor:pointer;min-height:32px}
.sx-exercise button.sx-export{background:#fff;color:#2b6cb0}
.sx-exercise :focus-visible{outline:3px solid #b84d00;outline-offset:2px}
.sx-exercise ul.sx-list{margin:.35em 0;padding-left:1.4em}
.sx-exercise ul.sx-list li{margin:.15em 0}
.sx-feedback{white-space:pre-wrap;margin-top:.4em;padding:.4em .6em;border-radius:3px}
/* empty, it takes no room but stays in the accessibility tree: a status region that appears
   already filled is often not read out */
.sx-feedback:not(.sx-right,.sx-wrong){padding:0;margin:0;border:0}
.sx-export-msg{font-size:.9em;margin:.2em 0}
.sx-export-msg.sx-wrong{color:#8a3300}
.sx-sid-said{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
.sx-feedback.sx-right{background:#e6f6ea;border:1px solid #68b37a}
.sx-feedback.sx-wrong{background:#fdf0e6;border:1px solid #d99058}
.sx-reveal-title{font-weight:600;margin-top:.6em}
.sx-svg svg{max-width:100%;height:auto}
/* (its words keep graphviz's spacing when a reader's style widens letters and words, as the
   players' drawings do: player.css) */
.sx-svg svg text,.sx-svg svg tspan{letter-spacing:normal!important;word-spacing:normal!important}
.sx-key{margin-top:.6em;border-top:1px dashed #a0aec0;padding-top:.4em}
.sx-student{margin:.2em 0 .6em;padding:.3em .5em;background:#eef3f9;border-radius:3px;font-size:.92em}
.sx-student button{font-size:.875rem;padding:.1em .8em;margin:0 0 0 .6em;background:#fff;color:#2b6cb0;min-height:32px}
.sx-student input{font-size:1rem;padding:.1em .3em;margin-left:.4em;min-height:32px;min-width:0;max-width:100%}
/* on a phone the id box goes under its words instead of past the panel's right edge (its 18
   characters at 16 px are 200 px; beside the words, at 320 px it ended 19 px outside) */
.sx-student label{flex-wrap:wrap;max-width:100%}
.sx-student .sx-bad{color:#9b2c2c}
/* The replay after a right answer, in a frame no taller than the screen under the page's header
   (the theme's scroll-padding is 5rem; 6rem leaves a little room): the replay's step buttons,
   pinned to the foot of the frame's window once the player's own scroll away inside it
   (player.js), are then on screen with the frame.  At a fixed 880 px they sat 816-870 px down the
   frame, below a 740, 768 or 384 px tall screen: no step button in view, two scrollbars one in
   the other.  (vh first: a browser without svh.)  The link above it opens the same replay as a
   page of its own, one scrollbar. */
.sx-replay{width:100%;height:880px;height:min(880px,calc(100vh - 6rem));height:min(880px,calc(100svh - 6rem));
  border:1px solid #c9d3de;border-radius:3px;margin:.4em 0;background:#fff}
.sx-replay-open{display:inline-block;padding:.2em 0;min-height:24px}
/* A trace's event too long for the box goes on under a hanging indent of 2 characters, so that its
   second line does not read as the next event (a browser without it wraps it as before). */
@supports (text-indent:1em each-line hanging){
.sx-exercise.sx-exercise.sx-exercise pre.sx-context{text-indent:2ch each-line hanging}
}
/* A touch screen or a narrow one: every control a finger's 44 px tall at the least (WCAG 2.5.5's
   size; at 360 px Check, "Use it" and the choices' rows were 32, "Reproduce with the simulator" 28).
   A laptop keeps its lighter rows. */
@media (pointer:coarse),(max-width:600px){
.sx-exercise label,.sx-exercise select,.sx-exercise input.sx-input,.sx-exercise button,.sx-student button,
  .sx-student input{min-height:44px;box-sizing:border-box}
.sx-exercise summary,.sx-replay-open{min-height:44px;box-sizing:border-box;padding:calc((44px - 1.45em) / 2) 0}
}
/* A narrow screen: the box's and the feedback's side paddings, in em, grew with the text -- at 320
   px and 200 % text the feedback was a column of 153 px ("matches / a / connection / by its 4- /
   tuple:") and the student id box 930 px tall --: at most 12 and 8 px there, and the id box's
   label, box and button closer together.  (op1-a11y.css widens a right answer's replay by the
   box's padding: --sx-pad.) */
@media (max-width:30em){
.sx-exercise{--sx-pad:min(1em,12px);padding-left:var(--sx-pad);padding-right:var(--sx-pad)}
.sx-feedback{padding-left:min(.6em,8px);padding-right:min(.6em,8px)}
.sx-student{padding:.25em min(.5em,8px);margin-bottom:.4em}
.sx-student label{margin:0 .4em 0 0;gap:.2em}
.sx-student input{margin-left:0}
.sx-student button{margin:.2em 0}
.sx-student .sx-sid-msg{margin-top:.2em;line-height:1.35}
}
"""


def _inline(text: str) -> str:
    s = html.escape(text, quote=False)
    s = re.sub(r"`([^`]+)`", r"<code>\1</code>", s)
    return re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", s)


def _md(text: str) -> str:
    """The bank's small Markdown as HTML, escaped: ``code``, **bold**, and lines that begin with
    "- ", a list (a prompt's route cache entries, one under the other: inline, a phone showed
    them as one paragraph of several screens).  Text on one line, as a prompt mostly is, reads
    as before; a blank line ends a list, as in the notebooks' Markdown."""
    out, items = [], []
    for line in text.split("\n"):
        if line.startswith("- "):
            items.append(f"<li>{_inline(line[2:])}</li>")
            continue
        if items:
            out.append(f'<ul class="sx-list">{"".join(items)}</ul>')
            items = []
        if line.strip():
            out.append(_inline(line))
    if items:
        out.append(f'<ul class="sx-list">{"".join(items)}</ul>')
    return " ".join(out)


def _key_on(key: bool | None) -> bool:
    if key is not None:
        return key
    return os.environ.get(KEY_ENV, "").strip().lower() not in ("", "0", "false", "no")


def _body(inst: Instance, uid: str, shown: str = "chapter") -> str:
    """What differs between two variants of an exercise: the prompt (and, for one that needs
    Python, where to run it, by where it is ``shown``: ``bank.RUN_WHERE``), the call that reproduces
    it, the trace up to the question and the choices (or the settings, or the answer box)."""
    where = where_to_run(shown, inst.needs_python)
    out = [f'<div class="sx-prompt">{_md(inst.prompt + (" " + where if where else ""))}</div>']
    if inst.run.get("call"):
        out.append('<details class="sx-run"><summary class="sx-meta">Reproduce with the simulator</summary>'
                   f'<pre>{html.escape(inst.run["call"])}</pre>'
                   + ('<span class="sx-meta"><code>your_choice</code>: a dict of your settings</span>'
                      if inst.form == "config" else "") + '</details>')
    if inst.context:
        out.append(f'<div class="sx-reveal-title">{html.escape(context_title(inst.kind))}</div>')
        out.append(f'<pre class="sx-context">{html.escape(chr(10).join(inst.context))}</pre>')
    name = f"{uid}-choice"
    if inst.form == "config":
        legend = ("Your repair: change exactly one setting" if inst.start else "Your router's settings")
        out.append(f'<fieldset class="sx-options"><legend class="sx-meta">{legend}</legend>'
                   + ("<div>Broken router: " + ", ".join(
                      f"<code>{html.escape(k)}={html.escape(v)}</code>" for k, v in inst.start.items()) + "</div>"
                      if inst.start else ""))
        for k, vals in inst.options.items():
            # a choice starts blank, so that Check on the untouched form is no answer (it was the first
            # option's, a configuration like any other); a repair starts on the broken router
            opts = ("" if k in inst.start else f'<option value="" selected>{CHOOSE}</option>') + "".join(
                f'<option value="{html.escape(v)}"{" selected" if inst.start.get(k) == v else ""}>'
                f'{html.escape(v)}</option>' for v in vals)
            out.append(f'<label>{html.escape(k)} <select data-option="{html.escape(k)}">{opts}</select></label>')
        out.append("</fieldset>")
    elif inst.choices:
        out.append(f'<fieldset class="sx-choices"><legend class="sx-meta">'
                   f'{"Your prediction" if inst.kind == "predict" else "Your answer"}</legend>')
        for c in inst.choices:
            out.append(f'<label><input type="radio" name="{name}" value="{html.escape(c)}"> {html.escape(c)}</label>')
        out.append("</fieldset>")
    else:
        what, mode = {"int": ("a whole number", "numeric"), "percent": ("a percentage", "decimal")}.get(
            inst.form, ("your answer", "text"))
        out.append(f'<fieldset><label>Your answer <input class="sx-input" type="text" inputmode="{mode}" '
                   f'aria-label="your answer: {what}" size="12"> <span class="sx-meta">{what}'
                   f'{" (%)" if inst.form == "percent" else ""}</span></label></fieldset>')
    return "\n".join(out)


def _data(inst: Instance, svg: bool = True, replay: str = "") -> dict:
    """What the page's checker needs of one variant (``model.Instance.sealed``, the hint)."""
    data = dict(inst.sealed(svg=svg, replay=replay), hint=inst.hint)
    if inst.choices:
        data["choices"] = True
    if inst.start:
        data["start"] = inst.start
    return data


def render(inst: Instance, key: bool | None = None, include_assets: bool = True, pool: list | None = None,
           replays: str = "", shown: str = "chapter") -> str:
    """The HTML of one exercise instance.  ``pool``: the exercise's pool variants (the shared
    site): the page then asks for a student id and shows that student's; ``replays``: the URL
    of the folder holding each variant's replay (``site.write_replays``), '' for none;
    ``shown``: where the HTML is shown (``bank.RUN_WHERE``: a chapter, a page, a notebook)."""
    uid = f"sx-{inst.ex_id}-{inst.salt[:8]}"
    data = _data(inst, svg=not replays, replay=site.replay_name(inst) if replays and inst.step is not None else "")
    pooled = pool is not None
    out = [f'<div class="sx-exercise" id="{uid}" data-exercise="{html.escape(inst.ex_id)}" '
           f'data-student="{html.escape(inst.student)}" data-store="{html.escape(store_name(inst))}" '
           f'data-kind="{inst.kind}" data-chapter="{inst.chapter}"'
           + (f' data-replays="{html.escape(replays)}"' if replays else "")
           # a page made for a student of a course (OP1_COURSE_ID): its export names the course
           + (f' data-course="{html.escape(inst.variant.split("@", 1)[1])}"'
              if not pooled and "@" in (inst.variant or "") else "") + '>',
           f'<h3 id="{uid}-h">{html.escape(inst.title)} <span class="sx-meta">· chapter {inst.chapter} · {inst.kind}'
           f'{" · needs Python" if inst.needs_python else ""}<span class="sx-who">'
           f'{"" if inst.student == BOOK_STUDENT else " · variant of " + html.escape(inst.student)}</span></span></h3>']
    if pooled:
        out.append('<div class="sx-student" role="group" aria-label="student id"></div>'
                   '<div class="sx-sid-said" role="status"></div>')
    out.append(f'<div class="sx-body">{_body(inst, uid, shown)}</div>')
    # a page's exercises each have a Check and an Export: each described by its exercise's title
    out.append(f'<button type="button" class="sx-check" aria-describedby="{uid}-h">Check</button>'
               f'<button type="button" class="sx-export" aria-describedby="{uid}-h">Export my answers (JSON)</button>'
               '<div class="sx-export-msg" role="status"></div>')
    # The outcome of a Check: its verdict ("Right.", "Not if2.") in a status region of its own, said
    # at once, and the explanation right after it in the same box, read on from there (as one
    # status of 826 characters, a screen reader said it whole after every Check).
    out.append(f'<div class="sx-feedback" id="{uid}-fb"><span class="sx-verdict" role="status"></span>'
               '<span class="sx-explain"></span></div>')
    out.append('<div class="sx-reveal" hidden></div>')
    if _key_on(key):
        out.append(_key_html(inst))
    out.append(f'<script type="application/json" class="sx-data">{_json_script(data)}</script>')
    if pooled:
        variants = [{"html": _body(v, uid, shown), "data": _data(v, svg=False, replay=site.replay_name(v)
                                                          if replays and v.step is not None else ""),
                     **({"key": _key_html(v)} if _key_on(key) else {})}
                    for v in pool]
        out.append(f'<script type="application/json" class="sx-pool">'
                   f'{_json_script({"course": course_for(None), "variants": variants})}</script>')
    if include_assets:
        out.append(assets())
    out.append(f'<script>window.SX && SX.init(document.getElementById("{uid}"));</script>')
    out.append("</div>")
    return "\n".join(out)


def _key_html(inst: Instance) -> str:
    k = [f"<b>Key:</b> <code>{html.escape(inst.answer)}</code>"]
    if inst.form == "config" and len(inst.accepted) > 1:
        k.append("also " + ", ".join(f"<code>{html.escape(a)}</code>" for a in inst.accepted[1:]))
    elif inst.form in ("int", "percent") and len(inst.accepted) > 1:
        k.append(f"(accepted {inst.accepted[0]}..{inst.accepted[-1]})")
    k.append(f"<div>{_md(inst.explanation)}</div>")
    if inst.reveal:
        k.append(f'<pre>{html.escape(chr(10).join(inst.reveal))}</pre>')
    return '<details class="sx-key" open><summary>Instructor key</summary>' + " ".join(k) + "</details>"


def store_name(inst: Instance) -> str:
    """Where a browser keeps a student's answers: one store per student and course secret,
    so a practice page's answers never go out with the graded page's."""
    if not inst.secret:
        return inst.student
    return f"{inst.student}~{keyed(inst.secret, f'store|{inst.student}').hex()[:12]}"


def _json_script(d: dict) -> str:
    return json.dumps(d, separators=(",", ":")).replace("</", "<\\/")


#: the checker as a page carries it: without the comments that fill lines of their own (a sixth
#: of its bytes; a shared page carries it once per exercise, tests/test_exercise_site.py), the
#: code and the comments beside it as written.  (A comment's text holds no ``*/`` of its own.)
SHIPPED_JS = re.sub(r"(?m)^[ \t]*/\*(?:(?!\*/).)*\*/[ \t]*\n", "", _JS, flags=re.S)


def assets() -> str:
    """The CSS and the checker, once per page (the script guards against a second copy)."""
    return f"<style>{CSS}</style>\n<script>{SHIPPED_JS}</script>"


def in_kernel() -> bool:
    """Whether this runs in a Jupyter kernel: a chapter run in Binder, on a hub or in a laptop's
    JupyterLab (ipykernel's shell has a kernel; a terminal's IPython, a script, has none)."""
    ipython = sys.modules.get("IPython")
    try:
        shell = ipython.get_ipython() if ipython is not None else None
    except Exception:       # an IPython that cannot say: not a kernel we know
        return False
    return getattr(shell, "kernel", None) is not None


def exercise_html(chapter: int | None, ex_id: str, student: str | None = None, key: bool | None = None,
                  secret: str | None = None, pool: bool | None = None, write_replays: bool = True) -> str:
    """One exercise of the bank as HTML for a chapter page: ``{ex_id}`` must be in ``chapter``.
    ``pool``: carry the exercise's pool of variants, for the shared site, where a student
    enters their id (default: when no student is given and the book build asks for it,
    ``site.pool_on()``, or in a Jupyter kernel -- a chapter run in Binder or on a hub shows the
    id box as the site does, and its export is the student's, graded as the site's; without
    it, the export wrote answers-book.json, "hand in that file", which the grader credits to
    nobody).  ``write_replays=False``: the same HTML, but the variants' replays are left for
    another page of the build to write (the instructor guide shows an exercise of chapter 6,
    whose page writes the replays of every exercise of its chapter)."""
    inst = instance(ex_id, student or BOOK_STUDENT, secret)
    if chapter is not None and inst.chapter != chapter:
        raise ExerciseError(f"exercise {ex_id!r} is in chapter {inst.chapter}, not {chapter}")
    kernel = in_kernel()
    # where an exercise that needs Python is run: in a kernel (Binder, a hub, JupyterLab), a code
    # cell of the notebook the reader is in, not "Binder (the launch button ...)"
    shown = "notebook" if kernel and not site.pool_on() else "chapter"
    if pool is None:
        pool = (site.pool_on() or kernel) and inst.student == BOOK_STUDENT
    if not pool:
        return render(inst, key, shown=shown)
    variants = site.pool(ex_id)
    url = site.replay_url()
    if url and write_replays:
        site.write_replays([inst, *variants])
    return render(inst, key, pool=variants, replays=url, shown=shown)


def chapter_html(chapter: int, student: str | None = None, key: bool | None = None,
                 pool: bool | None = None) -> str:
    """Every exercise of a chapter, one after another."""
    return "\n".join(exercise_html(chapter, k, student, key, pool=pool) for k in chapter_ids(chapter))


class Exercise:
    """An exercise for a notebook: ``Exercise("eq-next", student="alice")``.

    Shown as the same HTML as the static page (``_repr_html_``); ``.widget()``
    gives ipywidgets controls that call the Python checker (a live kernel), and
    ``.check(answer)`` returns (right?, feedback) like the grader.  Every check is
    counted; ``export_answers`` writes the first right answer, or the last one if
    none was right."""

    def __init__(self, ex_id: str, student: str | None = None, chapter: int | None = None, key: bool | None = None,
                 secret: str | None = None):
        self.inst = instance(ex_id, student or BOOK_STUDENT, secret)
        if chapter is not None and self.inst.chapter != chapter:
            raise ExerciseError(f"exercise {ex_id!r} is in chapter {self.inst.chapter}, not {chapter}")
        self.key = key

    def _repr_html_(self) -> str:
        return render(self.inst, self.key, shown="notebook")

    def check(self, answer) -> tuple[bool, str]:
        """(right?, feedback); an answer of the wrong form is not counted as an attempt."""
        ok, text = self.inst.check(answer)
        if self.inst.resolve(answer)[1]:
            return ok, text
        record(NOTEBOOK_ANSWERS.setdefault(self.inst.student, {}), self.inst.ex_id, answer, ok, self.inst.salt,
               self.inst.fingerprint)
        return ok, text

    def widget(self):
        where = where_to_run("notebook", self.inst.needs_python)
        return _widget(self.inst.title, self.inst.prompt + (" " + where if where else ""), self.inst.context, self.inst.form, self.inst.choices,
                       self.inst.options, self.inst.start, self.check, lambda: self.inst.reveal)


def _widget(title, prompt, context, form, choices, options, start, check, reveal):
    """ipywidgets controls for one exercise; ``check(answer) -> (ok, text)``, ``reveal()`` the
    revealed trace lines once right.  Without ipywidgets: one line saying what to install."""
    from .._needs import IPYWIDGETS, Unavailable, missing_message, widgets_or_none
    w = widgets_or_none()
    if w is None:
        return Unavailable(missing_message("This exercise's Check button", "ipywidgets", IPYWIDGETS))
    from .grade import plain
    head = w.HTML(f"<b>{html.escape(title)}</b><br>{_md(prompt)}"
                  + (f"<pre>{html.escape(chr(10).join(context))}</pre>" if context else ""))
    if form == "config":
        # blank until chosen, as on the page (``_body``); a repair's start on the broken router
        ctrls = {k: w.Dropdown(options=([] if k in start else [(CHOOSE, "")]) + [(x, x) for x in v],
                               value=start.get(k, ""), description=k) for k, v in options.items()}
        value = lambda: {k: c.value for k, c in ctrls.items()}  # noqa: E731
        inputs = list(ctrls.values())
    elif choices:
        radio = w.RadioButtons(options=choices, value=None, description="prediction")
        value = lambda: radio.value  # noqa: E731
        inputs = [radio]
    else:
        box = w.Text(description="answer", placeholder={"int": "a whole number", "percent": "a percentage"}
                     .get(form, ""))
        value = lambda: box.value  # noqa: E731
        inputs = [box]
    out = w.Output()
    btn = w.Button(description="Check")

    def on(_):
        out.clear_output()
        ok, text = check(value())
        with out:
            print(("Right. " if ok else "Not yet. ") + plain(text))
            lines = reveal() if ok else None
            if lines:
                print(f"\n{REVEAL_TITLE}\n" + "\n".join(lines))
    btn.on_click(on)
    return w.VBox([head, *inputs, btn, out])


NOTEBOOK_ANSWERS: dict[str, dict] = {}     # student -> {id: {"answer", "attempts", "right", "variant", "fp"}}


def record(store: dict, ex_id: str, answer, ok: bool, variant: str, fp: str | None = None) -> dict:
    """Count one check of ``answer`` in ``store``; keep the first right answer, once there is one
    (trying a wrong one afterwards, to explore, does not lose it).  ``attempts`` counts the
    checks up to that first right answer, no later one: the grader's ``--max-attempts`` judges
    how it was reached, not what was explored after.  ``fp``: the fingerprint of the question
    answered (``Instance.fingerprint``; None: the notebook's data predates fingerprints)."""
    rec = store.setdefault(ex_id, {"answer": None, "attempts": 0, "right": False, "variant": variant, "fp": fp})
    if not rec["right"]:
        rec["attempts"] += 1
        rec["answer"], rec["right"] = answer, ok
    return rec


def export_answers(path: str, student: str | None = None) -> str:
    """Write the answers checked in this kernel as an answer file the grader accepts
    (``student``: whose; may be left out when one student's answers were checked)."""
    from .grade import GradeError, answer_file, write_answer_file
    if student is None:
        who = [s for s, recs in NOTEBOOK_ANSWERS.items() if recs]
        if len(who) != 1:
            raise GradeError("no answers were checked in this kernel yet" if not who else
                             f"answers were checked for {', '.join(who)}: say whose to export, "
                             f"export_answers({path!r}, {who[0]!r})")
        student = who[0]
    recs = NOTEBOOK_ANSWERS.get(student, {})
    if not recs:
        raise GradeError(f"no answers were checked for {student!r} in this kernel")
    data = answer_file(student, {k: r["answer"] for k, r in recs.items()},
                       attempts={k: r["attempts"] for k, r in recs.items()},
                       variants={k: r["variant"] for k, r in recs.items()},
                       fingerprints={k: r.get("fp") for k, r in recs.items()})
    return write_answer_file(path, data)


def page_html(chapter: int | None = None, ids: list[str] | None = None, student: str | None = None,
              key: bool | None = None, title: str | None = None, secret: str | None = None) -> str:
    """A stand-alone HTML page with several exercises (to hand out, or for the browser test).
    ``ids`` (default: the chapter's) must be in ``chapter`` if one is given."""
    check_chapter(chapter)
    ids = [k.strip() for k in ids or [] if k.strip()] or chapter_ids(chapter)
    student = student or BOOK_STUDENT
    if chapter is not None:
        unknown = [k for k in ids if k not in BANK]
        if unknown:         # (the bank's 23 ids, listed by instance(), are not what the reader needs)
            raise ExerciseError(f"unknown exercise {unknown[0]!r}: chapter {chapter} has "
                                f"{', '.join(chapter_ids(chapter))}")
    insts = [instance(k, student, secret) for k in ids]
    for inst in insts:
        if chapter is not None and inst.chapter != chapter:
            raise ExerciseError(f"exercise {inst.ex_id!r} is in chapter {inst.chapter}, not {chapter}: "
                                f"chapter {chapter} has {', '.join(chapter_ids(chapter))}")
    title = title or (f"Exercises, chapter {chapter}" if chapter else "Exercises") + f" — {student}"
    body = "\n".join(render(inst, key, include_assets=(n == 0), shown="page") for n, inst in enumerate(insts))
    # the version the page was made from, as the book's pages say theirs (book/op1_exercises.py):
    # its exports carry it ("built"), and the grader names it when a question changed since
    built = html.escape(site.source_commit())
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="op1-built" content="{built}">'
            f"<title>{html.escape(title)}</title></head>\n<body style=\"max-width:52em;margin:1em auto;padding:0 1em\">"
            f"<h1 style=\"font-family:system-ui,sans-serif\">{html.escape(title)}</h1>\n{body}\n"
            f'<p style="font:.8125rem system-ui,sans-serif;color:#4a5568">Version {built}.</p>\n'
            f"<script>window.SX && SX.initAll();</script></body></html>\n")
