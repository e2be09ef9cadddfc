"""A captive portal's sign-in page sent with 200 OK for a chapter's own address (no redirect, a
web page where a web page was asked for) is never kept by the site's service worker
(book/_live/sw.js): a page is kept only if it is one of this build's (it says the build's
version, <meta name="op1-built">).  Offline, that chapter then says it is not on this device,
instead of showing the hotel's sign-in page.  The same whichever way the worker meets it: the
chapter opened, a page saying it loaded the chapter (kept from the browser's cache), "Save the
book for offline reading".  (tests/test_live_sw.py: the portal's redirects, and its page sent
for a runtime file.)  Nor does a portal answering while a new build's worker carries the older
build's copies over make the worker throw them away: it stops, as offline, and carries them over
on a later page read.

The browser tests use the built site (_build/html): ``make book`` first.
"""
from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_live_offline_update import HELD, _only, update_offline  # noqa: E402
from test_live_sw import KEPT, KEYS, _read, built, served, told_loaded, until  # noqa: E402,F401

NOT_KEPT = "This page is not on this device yet"


def _offline_says_not_kept(site, pg, chapters):
    site.down = True
    for chapter in chapters:
        pg.goto(f"{site.url}/book/{chapter}.html", wait_until="load")
        assert pg.inner_text("h1") == NOT_KEPT, chapter


def test_a_portals_page_sent_for_a_chapter_opened_or_loaded_is_not_kept(built):
    with served(built) as (site, ctx, pg):
        _read(site, pg, "05-nat")
        site.portal["/book/07-icmp.html"] = "page"
        site.portal["/book/09-modern-linux.html"] = "page"
        # the chapter opened: the portal's page is shown (it is what the network answered)
        pg.goto(f"{site.url}/book/09-modern-linux.html", wait_until="load")
        assert "Sign in" in pg.inner_text("h1")
        # a page says it loaded a chapter (the worker fetches it from the browser's cache to keep
        # it): the portal's
        told_loaded(site, pg, "07-icmp")
        # (the navigation's copy is put once the page's answer was read: a later page read is
        # kept after it)
        _read(site, pg, "02-route-cache")
        kept = {p: pg.evaluate(KEPT, f"{site.url}/book/{p}.html") for p in ("07-icmp", "09-modern-linux")}
        assert not any(kept.values()), kept
        _offline_says_not_kept(site, pg, ("07-icmp", "09-modern-linux"))


def test_save_the_book_keeps_no_portals_page(built):
    with served(built) as (site, ctx, pg):
        _read(site, pg, "05-nat")
        site.portal["/book/08-real-kernels.html"] = "page"
        pg.click(".op1-save button")
        pg.wait_for_function("/ of | All /.test(document.querySelector('.op1-save [role=status]').textContent)",
                             timeout=300_000)
        said = pg.inner_text(".op1-save [role=status]")
        assert "the others did not come from the book\u2019s site" in said and "sign in" in said, said
        assert not pg.evaluate(KEPT, f"{site.url}/book/08-real-kernels.html")
        assert pg.evaluate(KEPT, f"{site.url}/book/10-two-links.html")      # (the book's own, after it)
        _offline_says_not_kept(site, pg, ("08-real-kernels",))


def test_an_exercise_replay_read_online_opens_offline_and_a_portals_one_is_not_kept(built):
    # the replays (sx-replays/*.html, made once and kept from build to build) say the build's
    # version as they go into the site (book/op1_exercises.py, stamped): without it the worker
    # took them for another site's pages and "Open this replay in its own page" was not there
    # offline
    replays = sorted(p.name for p in (built / "sx-replays").glob("*.html") if p.name != "index.html")
    assert len(replays) >= 2, replays
    with served(built) as (site, ctx, pg):
        _read(site, pg, "05-nat")
        first, second = (f"{site.url}/sx-replays/{name}" for name in replays[:2])
        pg.goto(first, wait_until="load")
        until(pg, KEPT, first)
        site.portal[f"/sx-replays/{replays[1]}"] = "page"
        pg.goto(second, wait_until="load")
        assert "Sign in" in pg.inner_text("h1")
        _read(site, pg, "02-route-cache")
        assert not pg.evaluate(KEPT, second)
        site.down = True
        pg.goto(first, wait_until="load")
        assert pg.locator("[data-replay]").count() == 1, pg.inner_text("body")[:300]
        pg.goto(second, wait_until="load")
        assert pg.inner_text("h1") == NOT_KEPT


def test_a_replay_carries_the_builds_version_once():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "book"))
    from op1_exercises import stamped
    page = '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>t</title></head><body></body></html>'
    once = stamped(page, "abc1234")
    assert once.count('name="op1-built"') == 1 and '<head><meta name="op1-built" content="abc1234">' in once
    again = stamped(once, "def5678")
    assert again.count('name="op1-built"') == 1 and 'content="def5678"' in again and "abc1234" not in again


def test_a_portal_answering_while_the_older_copies_are_carried_over_leaves_them(built):
    # (before: each older copy was asked for again, the portal's page came back for every one and
    # could not be kept, and the older copies were thrown away as if the site no longer had them:
    # the chapters read before the update said, offline, that they were not on this device)
    with served(built) as (site, ctx, pg):
        ch4 = _read(site, pg, "04-equalize")
        ch7 = _read(site, pg, "07-icmp")
        old, now = update_offline(built, site, pg, ch4)
        held = pg.evaluate(HELD, old)
        assert ch7 in held, held
        # then the hotel's Wi-Fi: every address answered with its sign-in page
        site.portal = dict.fromkeys({urlparse(u).path for u in held} | {"/sw.js"}, "page")
        site.down, n = False, len(site.log)
        pg.evaluate("navigator.serviceWorker.controller.postMessage({keep: []})")   # (a page read)
        for _ in range(300):                    # the worker asks whether the site answers
            if "/sw.js" in site.log[n:]:
                break
            pg.wait_for_timeout(200)
        asked = site.log[n:]
        assert "/sw.js" in asked, asked
        pg.wait_for_timeout(1000)
        assert old in pg.evaluate(KEYS)
        # offline, the chapter read before the update is still there
        site.down = True
        pg.goto(ch7, wait_until="load")
        assert pg.inner_text("h1") != NOT_KEPT
        # the site itself again: a page read carries them over
        site.portal, site.down = {}, False
        pg.goto(f"{site.url}/book/03-connection-level.html", wait_until="load")
        _only(pg, [now])
        assert {ch4, ch7} <= set(pg.evaluate(HELD, now))


def test_a_right_answers_replay_shown_online_is_shown_offline_from_the_device(built):
    """A student answers right online (the replay is shown, and the site's worker keeps it, as it
    keeps a page read), then reloads the chapter on the train: the exercise said the replay would
    come once connected, though the device had it.  It shows the kept replay.  (One never shown
    online still says it comes once connected: tests/test_exercise_site.py.)"""
    from sim.exercises import instance
    from sim.exercises.model import normalise
    from sim.exercises.variants import BOOK_STUDENT
    inst = instance("rc-hit", BOOK_STUDENT, secret="")
    right = next(c for c in inst.choices if normalise(c, inst.form) == inst.answer)
    with served(built) as (site, ctx, pg):
        url = _read(site, pg, "02-route-cache")
        root = pg.locator('[data-exercise="rc-hit"]')
        root.locator(f'input[type=radio][value="{right}"]').check()
        root.locator(".sx-check").click()
        frame = root.locator("iframe.sx-replay")
        frame.wait_for(timeout=120_000)
        replay = frame.evaluate("f => f.src").split("#")[0]
        pg.wait_for_function("f => f.contentDocument && f.contentDocument.querySelector('[data-op1-live]')",
                             arg=frame.element_handle(), timeout=300_000)
        until(pg, KEPT, replay)
        site.down = True
        ctx.set_offline(True)
        pg.goto(url, wait_until="load")
        root = pg.locator('[data-exercise="rc-hit"]')
        root.locator("iframe.sx-replay").wait_for(timeout=60_000)        # the kept answer, judged again
        assert root.locator(".sx-replay-offline").count() == 0
        root.locator("iframe.sx-replay").scroll_into_view_if_needed()     # (a lazy frame)
        pg.wait_for_function("f => f.contentDocument && f.contentDocument.querySelector('[data-op1-live]')",
                             arg=root.locator("iframe.sx-replay").element_handle(), timeout=60_000)
