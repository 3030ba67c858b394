// Demo page helpers: the mode banner. Not part of the widget.
(function () {
  var banner = document.getElementById("mode-banner");
  if (!banner) return;
  fetch("/healthz").then(function (r) { return r.json(); }).then(function (h) {
    if (h.demo_mode) {
      banner.className = "banner banner-demo";
      banner.textContent = "DEMO MODE — answers and voices come from the bundled offline fake x.ai, not Grok. " +
        "To talk to Grok: XAI_API_KEY=xai-… scripts/demo";
    } else {
      banner.className = "banner banner-live";
      banner.textContent = "LIVE — this proxy talks to x.ai with the site owner's key.";
    }
  }).catch(function () {
    banner.className = "banner banner-down";
    banner.textContent = "The proxy is not answering.";
  });
})();
