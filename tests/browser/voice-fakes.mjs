// The init script the voice tests run in the page before the widget: fakes for speech
// recognition and synthesis that record what the widget asked of them, instrumented
// HTMLMediaElement.play/pause, and (with `webAudio`) the real AudioContext wrapped to record the
// schedule of every piece; without it there is no Web Audio and the widget uses its fallback.

/// Runs in the page before the widget (so it must not use anything from this module's scope).
/// `opts`: { noRecognition, blockFirstPlay, breakPlay, webAudio, suspendedAudio }.
export function fakes(opts) {
  const w = window;
  w.__v = { plays: [], pauses: 0, spoken: [], cancels: 0, speech: [], recs: [], messages: [], sched: [], resumes: [] };
  const v = w.__v;
  if (!opts.webAudio) {
    // No Web Audio: the widget falls back to its audio-element queue.
    delete w.AudioContext;
    delete w.webkitAudioContext;
  } else {
    // The real context, recording each source's schedule: when it starts (context time), how
    // long its buffer is, and when it was stopped. `suspendedAudio`: the context starts
    // suspended and, like a browser refusing autoplay, only resumes inside a click.
    let inClick = false;
    // Until the click's whole dispatch is over (microtasks already run between its listeners).
    document.addEventListener('click', () => { inClick = true; setTimeout(() => { inClick = false; }, 0); }, true);
    const Real = w.AudioContext;
    class Recorded extends Real {
      constructor(...args) {
        super(...args);
        v.ctx = this;
        this.__gated = !!opts.suspendedAudio;
        if (this.__gated) super.suspend();
      }
      get state() { return this.__gated ? 'suspended' : super.state; }
      resume() {
        v.resumes.push({ at: performance.now(), inClick });
        if (this.__gated) {
          if (!inClick) return new Promise(() => {});
          this.__gated = false;
        }
        return super.resume();
      }
      createBufferSource() {
        const src = super.createBufferSource();
        const start = src.start.bind(src);
        const stop = src.stop.bind(src);
        src.start = (when = 0) => {
          const rec = { when, dur: src.buffer.duration, len: src.buffer.length, rate: src.buffer.sampleRate, now: this.currentTime, at: performance.now(), state: this.state };
          v.sched.push(rec);
          src.__rec = rec;
          return start(when);
        };
        src.stop = (...args) => { if (src.__rec) src.__rec.stopped = performance.now(); return stop(...args); };
        return src;
      }
    }
    w.AudioContext = Recorded;
    // Context time -> page time, for comparing the schedule with events.
    w.__ctxToPerf = (t) => performance.now() + (t - v.ctx.currentTime) * 1000;
  }
  // Media: record what is played, optionally refuse or break a given play() call.
  const play = HTMLMediaElement.prototype.play;
  let n = 0;
  HTMLMediaElement.prototype.play = function () {
    const i = n++;
    v.plays.push({ src: this.src, at: performance.now() });
    if (opts.blockFirstPlay && i === 0) {
      return Promise.reject(new DOMException('autoplay refused', 'NotAllowedError'));
    }
    if (opts.breakPlay === i) {
      return Promise.reject(new DOMException('cannot decode', 'NotSupportedError'));
    }
    return play.call(this);
  };
  const pause = HTMLMediaElement.prototype.pause;
  HTMLMediaElement.prototype.pause = function () { v.pauses++; return pause.call(this); };
  // Browser voice: voices incl. an en-GB one; each utterance "speaks" for 150 ms.
  const voices = [
    { name: 'Google US English', lang: 'en-US', default: true, localService: false, voiceURI: 'us' },
    { name: 'Google Deutsch', lang: 'de-DE', default: false, localService: false, voiceURI: 'de' },
    { name: 'Google UK English Female', lang: 'en-GB', default: false, localService: false, voiceURI: 'gb' },
  ];
  class Utterance {
    constructor(text) {
      Object.assign(this, { text, lang: '', voice: null, rate: 1, pitch: 1, volume: 1, onend: null, onerror: null });
    }
  }
  const synth = {
    speaking: false, pending: false, paused: false, current: null,
    getVoices: () => voices,
    speak(u) {
      v.spoken.push({ text: u.text, voice: u.voice && u.voice.name, lang: u.lang, rate: u.rate, pitch: u.pitch, volume: u.volume, at: performance.now() });
      this.current = u;
      setTimeout(() => { if (this.current === u) { this.current = null; u.onend && u.onend({}); } }, 150);
    },
    cancel() {
      v.cancels++;
      const u = this.current;
      this.current = null;
      if (u) setTimeout(() => u.onerror && u.onerror({ error: 'interrupted' }), 0);
    },
    pause() {}, resume() {}, addEventListener() {}, removeEventListener() {},
  };
  Object.defineProperty(w, 'speechSynthesis', { value: synth, configurable: true });
  w.SpeechSynthesisUtterance = Utterance;
  // Speech input.
  if (opts.noRecognition) {
    delete w.SpeechRecognition;
    delete w.webkitSpeechRecognition;
    delete Window.prototype.SpeechRecognition;
    delete Window.prototype.webkitSpeechRecognition;
  } else {
    class Recognition {
      constructor() { v.recs.push(this); this.started = false; this.at = performance.now(); }
      start() { this.started = true; }
      stop() { this.started = false; setTimeout(() => this.onend && this.onend({}), 0); }
      abort() { this.started = false; this.aborted = true; }
    }
    w.SpeechRecognition = Recognition;
    w.webkitSpeechRecognition = Recognition;
    w.__hear = (text, isFinal) => {
      const r = v.recs[v.recs.length - 1];
      const result = Object.assign([{ transcript: text, confidence: 0.9 }], { isFinal });
      r.onresult({ resultIndex: 0, results: [result] });
      if (isFinal) setTimeout(() => r.onend && r.onend({}), 0);
    };
  }
  document.addEventListener('grokwidget:speech', (e) => v.speech.push({ ...e.detail, at: performance.now() }));
  document.addEventListener('grokwidget:message', (e) => v.messages.push({ role: e.detail.role, at: performance.now() }));
}
