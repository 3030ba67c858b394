// Demo page helpers: the mode banner, the client picker, live diagnostics and the host-page API
// buttons. Not part of the widget.
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var banner = $("mode-banner");
  if (banner) {
    fetch("/healthz").then(function (r) { return r.json(); }).then(function (h) {
      if (h.demo_mode) {
        banner.className = "banner banner-demo";
        banner.textContent = "DEMO MODE — answers and voices come from the bundled offline fakes (x.ai, OpenAI, " +
          "Anthropic), not the real models. To talk to Grok: XAI_API_KEY=xai-… scripts/demo";
      } else {
        banner.className = "banner banner-live";
        banner.textContent = "LIVE — this proxy talks to x.ai with the site owner's key.";
      }
    }).catch(function () {
      banner.className = "banner banner-down";
      banner.textContent = "The proxy is not answering.";
    });
  }

  // The client picker: the page reloads with ?client=ID and embeds the widget for it.
  var picker = $("client");
  if (picker) {
    var client = new URLSearchParams(location.search).get("client") || "demo";
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(client)) client = "demo";
    picker.value = client;
    var tag = document.createElement("script");
    tag.src = "/widget.js";
    tag.async = true;
    tag.setAttribute("data-client-id", client);
    // ?lang=fr shows the widget in another of its languages (data-lang).
    var lang = new URLSearchParams(location.search).get("lang");
    if (lang && /^[A-Za-z0-9-]{1,35}$/.test(lang)) tag.setAttribute("data-lang", lang);
    document.body.appendChild(tag);
    $("snippet").textContent = '<script src="' + location.origin + '/widget.js" data-client-id="' + client + '" async></' + 'script>';
  }

  // Live diagnostics from the widget's events.
  var log = $("diag-log");
  function note(text) {
    if (!log) return;
    var li = document.createElement("li");
    li.textContent = new Date().toLocaleTimeString() + "  " + text;
    log.insertBefore(li, log.firstChild);
    while (log.children.length > 20) log.removeChild(log.lastChild);
  }
  document.addEventListener("grokwidget:opened", function () { note("opened"); });
  document.addEventListener("grokwidget:closed", function () { note("closed"); });
  document.addEventListener("grokwidget:message", function (e) {
    var d = e.detail || {};
    note(d.role + ": " + String(d.text || "").slice(0, 80));
    if (d.role === "assistant" && $("diag-response")) {
      $("diag-response").textContent = d.response_id || "—";
      var u = d.usage || {};
      $("diag-usage").textContent = u.input_tokens + " in / " + u.output_tokens + " out / " + u.total_tokens +
        " total tokens" + (u.cost_usd != null ? " ($" + u.cost_usd.toFixed(6) + ")" : "");
    }
  });
  document.addEventListener("grokwidget:error", function (e) {
    var d = e.detail || {};
    note("error " + d.code + ": " + d.message);
    if ($("diag-error")) $("diag-error").textContent = d.code + " — " + d.message;
  });

  // Which path spoke each sentence of the current reply: "0 server · 1 browser (tts_failed) · …".
  var speech = [];
  document.addEventListener("grokwidget:message", function (e) {
    if ((e.detail || {}).role === "user") { speech = []; if ($("diag-speech")) $("diag-speech").textContent = "—"; }
  });
  document.addEventListener("grokwidget:speech", function (e) {
    var d = e.detail || {};
    var what = "sentence " + d.index + ": " + d.path + (d.reason ? " (" + d.reason + ")" : "") + (d.voice ? " — " + d.voice : "");
    note("speech " + what);
    speech.push(d.index + " " + d.path + (d.reason ? " (" + d.reason + ")" : ""));
    if ($("diag-speech")) $("diag-speech").textContent = speech.join(" · ");
  });

  // The voice picker: the client's own voices, from its public configuration.
  var voicePick = $("voice");
  if (voicePick && picker) {
    var vkey = "grokdemo:voice:" + picker.value;
    fetch("/api/clients/" + encodeURIComponent(picker.value)).then(function (r) { return r.json(); }).then(function (info) {
      voicePick.textContent = "";
      (info.voices || []).forEach(function (name) {
        var o = document.createElement("option");
        o.value = name;
        o.textContent = name + (name === info.default_voice ? " (default)" : "");
        voicePick.appendChild(o);
      });
      voicePick.value = localStorage.getItem(vkey) || info.default_voice;
      voicePick.disabled = false;
      window.GrokWidget && window.GrokWidget.setVoice(voicePick.value);
      if (!info.voice_enabled && $("voice-note")) {
        $("voice-note").textContent = "This client has server voice off: replies are read by the browser's own voice, sentence by sentence.";
        voicePick.disabled = true;
      }
    }).catch(function () { voicePick.textContent = ""; });
    voicePick.addEventListener("change", function () {
      localStorage.setItem(vkey, voicePick.value);
      window.GrokWidget && window.GrokWidget.setVoice(voicePick.value);
      note("voice: " + voicePick.value);
    });
  }

  var call = function (id, f) { var b = $(id); if (b) b.addEventListener("click", f); };
  call("api-open", function () { window.GrokWidget && window.GrokWidget.open(); });
  call("api-send", function () { window.GrokWidget && window.GrokWidget.send("What can you do?"); });
  call("api-close", function () { window.GrokWidget && window.GrokWidget.close(); });
})();
