// The site's service worker (written to the site's root by book/op1_inpage.py, every page
// registers it): what a reader has read, and the live panels' runtime once a first Run fetched
// it, are kept on the device, so that a page reloaded offline, another one read before, and a
// Run offline still work.  Every request goes to the site first: a new build is never hidden by
// a kept copy, which is used only when the site does not answer.  The copies are kept by build
// (BUILD: the version in the pages' footer, and the live files' digest), so that a page is never
// put together with another build's scripts or simulator: a new build's worker carries what the
// older build kept over into its own copies (each address asked for again: a file the site says
// is unchanged is the old copy, any other the new one) and only then throws the older copies
// away; offline at that moment, they stay, and are used for what the new ones do not hold, until
// the carrying is done (on a page read online).
const BUILD = "__OP1_BUILD__";
// the version every page of this build says (<meta name="op1-built">, as in its footer): a web
// page is kept only if it is one of this build's (not a captive portal's sign-in page, sent with
// 200 OK for a chapter's address)
const VERSION = "__OP1_VERSION__";
// every page of the book, from the site's root (the build writes the list): "Save the book for
// offline reading" asks the worker to keep them all
const PAGES = __OP1_PAGES__;
// (by the site's folder too: two sites on one server, the book and its instructor edition, each
// keep their own)
const SITE = `op1-${self.registration.scope} `;
const KEPT = SITE + BUILD;

self.addEventListener("install", (e) => {
  self.skipWaiting();
  // (carried over while the older worker still answers the pages: nothing waits for it)
  e.waitUntil(carryOver().catch(() => {}));
});

self.addEventListener("activate", (e) => {
  e.waitUntil((async () => {
    await carryOver().catch(() => {});
    await self.clients.claim();
  })());
});

// The older builds' copies of this site.
async function older() {
  return (await caches.keys()).filter((k) => k.startsWith(SITE) && k !== KEPT);
}

// What an older build kept, carried into this build's copies; each older copy thrown away once
// all it held was asked for again (an address the site no longer has is left behind).  Offline
// (the site does not answer), or behind a captive portal (something else answers: a hotel's
// sign-in page for every address), it stops, and the older copies stay, to be read offline and
// carried over on a later page read.  Only by the newest worker: an older one, still answering
// while a newer one installs (or done with), would take the newer copies for older ones, and
// keeps nothing more.
let carrying = null;
function newest() {
  const me = self.serviceWorker, r = self.registration;
  // (a browser that does not say which worker this is: none newer on its way)
  return me ? me === (r.installing || r.waiting || r.active) : !(r.installing || r.waiting);
}
function carryOver() {
  if (!newest()) return Promise.resolve();
  if (!carrying) {
    carrying = (async () => {
      const kept = await caches.open(KEPT);
      for (const k of await older()) {
        const old = await caches.open(k);
        for (const req of await old.keys()) {
          const url = new URL(req.url);
          if (await kept.match(req.url)) continue;
          const was = await old.match(req);
          const ask = {};
          if (was && was.headers.get("ETag")) ask["If-None-Match"] = was.headers.get("ETag");
          else if (was && was.headers.get("Last-Modified")) ask["If-Modified-Since"] = was.headers.get("Last-Modified");
          const r = await fetch(req.url, { cache: "no-store", headers: ask });   // (throws offline: stop)
          if (r.status === 304 && was) await kept.put(req.url, was);
          else if (await keepable(r, url, /(\.html|\/)$/.test(url.pathname))) await kept.put(req.url, r);
          // (an answer that cannot be kept, but "not found": is it the site that answers?)
          else if (r.status !== 404 && r.status !== 410 && !await siteAnswers()) return;
        }
        if (!newest()) return;
        await caches.delete(k);
      }
    })().finally(() => { carrying = null; });
  }
  return carrying;
}

// Is it this build's site that answers?  Its worker's own script, asked for again, says this
// build: a captive portal answers it with its sign-in page (or a redirect to it), and a site
// half-way through an update with another build.
async function siteAnswers() {
  try {
    const r = await fetch(self.location.href, { cache: "no-store" });
    const said = whole(r) && /\bBUILD = "([^"]*)"/.exec(await r.text());
    return !!said && said[1] === BUILD;
  } catch (_) {
    return false;
  }
}

// A page not read on this device while it was online, asked for offline.
// It says so, and links the pages that are: the book's first page first, then the others in the
// book's order, by their titles.  For a screen reader, its title says what its heading says, and
// the list is a landmark of its own; in the book's colours, light or dark (the theme's switch,
// else the device's setting).
async function notKept(url) {
  const esc = (t) => t.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const scope = self.registration.scope, saved = [];
  for (const page of PAGES) {
    const copy = await copyOf(scope + page);
    if (!copy) continue;
    const m = /<title>([^<]*)<\/title>/i.exec(await copy.text());
    saved.push(`<li><a href="${esc(scope + page)}">${m ? m[1].trim() : esc(page)}</a></li>`);
  }
  const list = saved.length
    ? `<nav aria-labelledby="kept"><h2 id="kept">Pages on this device</h2><ul>${saved.join("")}</ul></nav>`
    : "<p>No page of this book is on this device yet.</p>";
  const page = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Not on this device yet: ${esc(url.pathname)}</title>
<script>try { const m = localStorage.getItem("mode"); if (m === "light" || m === "dark") document.documentElement.dataset.mode = m; } catch (_) {}</script>
<style>:root{color-scheme:light}body{font:1.05rem/1.5 system-ui,sans-serif;max-width:36em;margin:2em auto;padding:0 1em;
color:#1a202c;background:#fff}a{color:#0b5394}li{margin:.3em 0}
:root[data-mode=dark]{color-scheme:dark}:root[data-mode=dark] body{color:#ced6dd;background:#121212}
:root[data-mode=dark] a{color:#8ab4f8}
@media (prefers-color-scheme:dark){:root:not([data-mode=light]){color-scheme:dark}
:root:not([data-mode=light]) body{color:#ced6dd;background:#121212}:root:not([data-mode=light]) a{color:#8ab4f8}}</style>
</head><body><main><h1>This page is not on this device yet</h1>
<p>The device is offline, and <code>${esc(url.pathname)}</code> was not read on it while it was
online: a page is kept once it has been read (or the whole book, with "Save the book for offline reading" at
the foot of any page). Connect, and reload; or read a page that is on this device.</p>
${list}</main></body></html>`;
  return new Response(page, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

// What is kept: a whole file (not a part, an error or a redirect, nor what a redirect led to: a
// captive portal's sign-in page, kept under a chapter's address, was shown for it offline), not
// a web page where a file was asked for, and a web page only if it is one of this build's (a
// captive portal's sign-in page, sent with 200 OK for a chapter's address, is neither).  ``r`` is
// read from a clone: it can still be put.
async function keepable(r, url, page) {
  if (!whole(r)) return false;
  if (!/^text\/html/.test(r.headers.get("Content-Type") || "")) return true;
  return (page || /\.html$/.test(url.pathname)) && ours(await r.clone().text());
}

function whole(r) {
  return r.ok && r.status === 200 && r.type === "basic" && !r.redirected;
}

// Is ``html`` one of this build's pages?  Each says the build's version in a <meta>; the site's
// root is the one that sends the reader on to the book's first page.
function ours(html) {
  const meta = /<meta\b[^>]*\bname="op1-built"[^>]*>/i.exec(html);
  if (meta) return meta[0].includes(`content="${VERSION}"`);
  return /^\s*<meta http-equiv="Refresh" content="0; url=([^"]*)"\s*\/?>\s*$/i.test(html)
    && html.includes(`url=${PAGES[0]}"`);
}

// A page tells what it loaded (its own address, its styles, scripts, images and fonts), once the
// worker is active: those that came before it (the first page read on this device, all of it) are
// kept too, taken from the browser's cache, where the page's load has just put them (force-cache:
// from a site that has every copy checked again, Cache-Control: no-cache as many hosts send, each
// was asked for a second time on a first visit).  The site's files only.
self.addEventListener("message", (e) => {
  if (e.data && e.data.save) { e.waitUntil(saveBook(e.ports[0])); return; }
  // (every page read online carries on what an older build kept, if it was not done)
  e.waitUntil(carryOver().catch(() => {}));
  const urls = e.data && Array.isArray(e.data.keep) && newest() ? e.data.keep : [];
  if (!urls.length) return;
  e.waitUntil((async () => {
    const kept = await caches.open(KEPT);
    for (const u of urls) {
      let url;
      try { url = new URL(u, self.location.href); } catch (_) { continue; }
      if (url.origin !== self.location.origin || await kept.match(url.href, { ignoreSearch: true })) continue;
      try {
        const r = await fetch(url.href, { cache: "force-cache" });
        if (await keepable(r, url, /(\.html|\/)$/.test(url.pathname))) await kept.put(url.href, r);
      } catch (_) { /* offline again: kept when it is next read */ }
    }
  })());
});

// "Save the book for offline reading": every page of the book kept, with what it shows (its
// styles, scripts and images: not the live runtime, which its worker fetches on a first Run), and
// then the site's own pages that are not the book's (its root, which sends a reader on to the
// first page, a bookmark's address; Sphinx's search and index pages, the header's search button).
// ``port`` is told how many of the book's pages are on this device; offline, it stops.
const SITE_PAGES = ["", "index.html", "search.html", "genindex.html"];
async function saveBook(port) {
  // (an older worker, a newer one on its way, keeps nothing more: the page asks again)
  if (!newest()) { if (port) port.postMessage({ saved: 0, of: PAGES.length, newer: true }); return; }
  const kept = await caches.open(KEPT);
  let saved = 0;
  try {
    for (const page of PAGES) if (await savePage(kept, page)) saved++;
    for (const page of SITE_PAGES) await savePage(kept, page);
  } catch (_) { /* offline: the rest when it is pressed again */ }
  if (port) port.postMessage({ saved, of: PAGES.length });
}

// ``page`` (from the site's root) kept with what it shows, unless it already is; whether it is
// on this device now (throws offline).
async function savePage(kept, page) {
  const url = new URL(page, self.registration.scope);
  if (await kept.match(url.href)) return true;
  const r = await fetch(url.href);
  if (!await keepable(r, url, true)) return false;
  const text = await r.clone().text();
  await kept.put(url.href, r);
  for (const m of text.matchAll(/\b(?:src="([^"#]+)"|href="([^"#]+\.css(?:\?[^"#]*)?)")/g)) {
    const u = new URL((m[1] || m[2]).replace(/&amp;/g, "&"), url);
    if (u.origin !== self.location.origin || await kept.match(u.href)) continue;
    const f = await fetch(u.href);
    if (await keepable(f, u, /\.html$/.test(u.pathname))) await kept.put(u.href, f);
  }
  return true;
}

// The copy kept of ``req``: this build's, else an older build's not carried over yet (a page asked
// for by its address with a query or a #fragment is the same page).
async function copyOf(req) {
  for (const k of [KEPT, ...await older()]) {
    if (!await caches.has(k)) continue;      // (opening it would make it)
    const c = await caches.open(k);
    const copy = await c.match(req) || await c.match(req, { ignoreSearch: true });
    if (copy) return copy;
  }
  return undefined;
}

self.addEventListener("fetch", (e) => {
  const req = e.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin || req.headers.has("range")) return;
  e.respondWith((async () => {
    try {
      const r = await fetch(req);
      // (this build's copies opened only to put one: opening creates a cache that is not there,
      // and an older worker still answering a page's files would make its build's copies again
      // after the newest worker threw them away)
      if (whole(r) && newest()) {
        const copy = r.clone();
        e.waitUntil((async () => {
          if (await keepable(copy, url, req.mode === "navigate") && newest()) await (await caches.open(KEPT)).put(req, copy);
        })().catch(() => {}));
      }
      return r;
    } catch (err) {
      // the site did not answer: the copy kept (a page asked for by its address with a query or
      // a #fragment is the same page)
      const copy = await copyOf(req);
      if (copy) return copy;
      if (req.mode === "navigate") return await notKept(url);
      throw err;
    }
  })());
});
