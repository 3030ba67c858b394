/* Chat widget loader. Tiny and async: it only records the <script> tag's settings and, after the
   host page's load event (at idle), imports the content-hashed glue and .wasm that sit next to it.
   Calls to window.GrokWidget.open/close/send made before the widget is up are queued. */
(function () {
  var s = document.currentScript;
  var w = window;
  if (!s || (w.GrokWidget && w.GrokWidget.__cfg)) return;
  var base = new URL(".", s.src);
  var cfg = {};
  for (var k in s.dataset) cfg[k] = s.dataset[k];
  cfg.proxyUrl = (cfg.proxyUrl || base.href).replace(/\/+$/, "");
  var q = [];
  var api = (w.GrokWidget = { __cfg: cfg, __q: q });
  ["open", "close", "send", "setVoice"].forEach(function (m) {
    api[m] = function () { q.push([m, [].slice.call(arguments)]); };
  });
  function boot() {
    import(new URL("__GLUE__", base).href)
      .then(function (m) { return m.default({ module_or_path: new URL("__WASM__", base).href }); })
      .catch(function (e) {
        console.error("[widget] could not load", e);
        try { document.dispatchEvent(new CustomEvent("grokwidget:error", { detail: { code: "load_failed" } })); } catch (_) {}
      });
  }
  function idle() { (w.requestIdleCallback || function (f) { setTimeout(f, 1); })(boot, { timeout: 2000 }); }
  if (document.readyState === "complete") idle(); else w.addEventListener("load", idle, { once: true });
})();
