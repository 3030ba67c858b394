/* Chat widget loader. Tiny and async: it only records the <script> tag's settings and, after the
   host page's load event (at idle), imports the content-hashed glue and .wasm that sit next to it.
   Calls to window.GrokWidget.open/close/send (or GrokWidget.get(clientId).open…) made before
   the widget is up are queued. Several tags (one per client) give several widgets: a later tag
   only adds its settings to __cfgs, the first one loads the code for all. */
(function () {
  var s = document.currentScript;
  var w = window;
  if (!s) return;
  var base = new URL(".", s.src);
  var cfg = {};
  for (var k in s.dataset) cfg[k] = s.dataset[k];
  cfg.proxyUrl = (cfg.proxyUrl || base.href).replace(/\/+$/, "");
  var api = w.GrokWidget;
  if (api && api.__cfg) { if (api.__cfgs) api.__cfgs.push(cfg); return; }
  var q = [];
  function stub(id) {
    var o = {};
    ["open", "close", "send", "setVoice"].forEach(function (m) {
      o[m] = function () { q.push([m, [].slice.call(arguments), id]); };
    });
    return o;
  }
  api = w.GrokWidget = stub();
  api.__cfg = cfg; api.__cfgs = [cfg]; api.__q = q; api.get = stub;
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
