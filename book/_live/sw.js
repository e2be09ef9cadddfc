// The site's service worker (written to the site's root by book/op1_inpage.py, every page
// registers it): what a reader has read, and the live panels' runtime once a first Run fetched
// it, are kept on the device, so that a page reloaded offline, another one read before, and a
// Run offline still work.  Every request goes to the site first: a new build is never hidden by
// a kept copy, which is used only when the site does not answer.  The copies are kept by build
// (BUILD: the version in the pages' footer, and the live files' digest): a new build's worker
// throws the older build's copies away, so that a page is never put together with another
// build's scripts or simulator.
const BUILD = "__OP1_BUILD__";
// (by the site's folder too: two sites on one server, the book and its instructor edition, each
// keep their own)
const SITE = `op1-${self.registration.scope} `;
const KEPT = SITE + BUILD;

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (e) => {
  e.waitUntil((async () => {
    for (const k of await caches.keys()) if (k.startsWith(SITE) && k !== KEPT) await caches.delete(k);
    await self.clients.claim();
  })());
});

// A page not read on this device while it was online, asked for offline.
function notKept(url) {
  const page = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Offline: page not kept</title>
<style>body{font:1.05rem/1.5 system-ui,sans-serif;max-width:36em;margin:2em auto;padding:0 1em;color:#1a202c}</style>
</head><body><h1>This page is not on this device yet</h1>
<p>The device is offline, and <code>${url.pathname.replace(/[<>&]/g, "")}</code> was not read on it while it was
online: a page is kept once it has been read. Connect, and reload; or go back to a page you have read.</p>
</body></html>`;
  return new Response(page, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

// What is kept: a whole file (not a part, an error or a redirect), and not a web page where a
// file was asked for (a captive portal's, sent with 200 OK).
function keepable(r, url, page) {
  return r.ok && r.status === 200 && r.type === "basic"
    && (page || /\.html$/.test(url.pathname) || !/^text\/html/.test(r.headers.get("Content-Type") || ""));
}

// A page tells what it loaded (its own address, its styles, scripts, images and fonts), once the
// worker is active: those that came before it (the first page read on this device, all of it) are
// kept too, fetched again (from the browser's cache, mostly).  The site's files only.
self.addEventListener("message", (e) => {
  const urls = e.data && Array.isArray(e.data.keep) ? e.data.keep : [];
  e.waitUntil((async () => {
    const kept = await caches.open(KEPT);
    for (const u of urls) {
      let url;
      try { url = new URL(u, self.location.href); } catch (_) { continue; }
      if (url.origin !== self.location.origin || await kept.match(url.href, { ignoreSearch: true })) continue;
      try {
        const r = await fetch(url.href);
        if (keepable(r, url, /(\.html|\/)$/.test(url.pathname))) await kept.put(url.href, r);
      } catch (_) { /* offline again: kept when it is next read */ }
    }
  })());
});

self.addEventListener("fetch", (e) => {
  const req = e.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin || req.headers.has("range")) return;
  e.respondWith((async () => {
    const kept = await caches.open(KEPT);
    try {
      const r = await fetch(req);
      if (keepable(r, url, req.mode === "navigate")) {
        e.waitUntil(kept.put(req, r.clone()).catch(() => {}));
      }
      return r;
    } catch (err) {
      // the site did not answer: the copy kept (a page asked for by its address with a query or
      // a #fragment is the same page)
      const copy = await kept.match(req) || await kept.match(req, { ignoreSearch: true });
      if (copy) return copy;
      if (req.mode === "navigate") return notKept(url);
      throw err;
    }
  })());
});
