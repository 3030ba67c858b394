// Voice benchmark: time from pressing Send to the first sound for a 5-sentence reply, in
// headless Chromium against the real proxy and the fake x.ai with the same realistic delays as
// proxy/benches/time_to_first_audio.rs; and the largest silence between consecutive pieces of
// one sentence.
//
//   node tests/browser/bench/voice-ttfa.mjs [--runs N] [--json OUT.json]
//
// Three ways, taking turns run by run on fresh pages:
// - pipelined: the widget as shipped. Each sentence's speech arrives in pieces (`audio`
//   events) while the reply still streams, and each piece is scheduled on the AudioContext at
//   the end of the one before.
// - whole reply, then speak (the baseline, as in the cargo bench): an init script answers the
//   widget's `/api/chat/stream` with the proxy's `/api/chat` (all the text, then the whole
//   reply synthesised as one clip) turned into the same events: one delta, one audio, done.
// - whole stream: the init script holds the body of `/api/chat/stream` until the stream has
//   ended and then hands it to the widget in one piece (the proxy's pipelined speech, heard
//   only once all of it is there): the baseline of earlier runs, kept for comparison.
// Nothing in the widget is switched off or changed for any of them.
// Send is pressed with a synthetic click at a recorded `performance.now()`. The first sound is
// read from the AudioContext's schedule (an init script wraps the context and records each
// source's start time and length), converted to the page's clock. Pieces are matched to the
// `audio` events they came in (a copy of the stream is read alongside the widget), so the
// silences between consecutive pieces of one sentence are exact: start of a piece minus the
// end of the one before, in the context's own time. Median of N runs each; the ratio is
// pipelined / whole (smaller is better).
import { writeFileSync } from 'node:fs';
import { startStack, openPage, hostPage, control } from '../harness.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const RUNS = Number(arg('--runs', 7));
const OUT = arg('--json', null);
const DELAYS = { first_token_ms: 400, per_delta_ms: 15, tts_first_audio_ms: 250, tts_per_chunk_ms: 10 };
const REPLY = 'Our store opens at nine in the morning on weekdays. ' +
  'On Saturdays we open an hour later, at ten. ' +
  'Sundays and public holidays we stay closed all day. ' +
  'You can still order online at any time of day. ' +
  'Orders placed before noon are shipped the same afternoon.';

function probe(mode) {
  const w = window;
  w.__b = { sched: [], audio: [] };
  const Real = w.AudioContext;
  w.AudioContext = class extends Real {
    createBufferSource() {
      const src = super.createBufferSource();
      const start = src.start.bind(src);
      src.start = (when = 0) => {
        w.__b.sched.push({ when, dur: src.buffer.duration, now: this.currentTime, at: performance.now() });
        return start(when);
      };
      return src;
    }
  };
  // No browser voice in headless Chromium: a silent stand-in so fallbacks cannot stall.
  Object.defineProperty(w, 'speechSynthesis', { value: { getVoices: () => [], speak(u) { setTimeout(() => u.onend && u.onend({}), 0); }, cancel() {} }, configurable: true });
  const realFetch = w.fetch;
  w.fetch = async function (input, init) {
    const url = typeof input === 'string' ? input : input.url;
    if (!url.endsWith('/api/chat/stream')) return realFetch.call(this, input, init);
    if (mode === 'whole_reply') {
      // The widget passes a Request: the same method, headers and body, to /api/chat.
      const sent = input instanceof Request ? input : new Request(input, init);
      const chat = { method: 'POST', headers: sent.headers, body: await sent.text() };
      const answer = await (await realFetch.call(this, url.replace(/\/stream$/, ''), chat)).json();
      const frame = (ev) => `event: ${ev.type}\ndata: ${JSON.stringify(ev)}\n\n`;
      const sse = frame({ type: 'delta', text: answer.response }) +
        frame({ type: 'audio', index: 0, text: answer.response, audio_url: answer.audio_url, piece: 0, last: true }) +
        frame({ type: 'done', response_id: answer.response_id, usage: answer.usage });
      w.__b.audio.push({ index: 0, piece: 0, last: true });
      w.__b.streamEnd = performance.now();
      return new Response(sse, { status: 200, headers: { 'content-type': 'text/event-stream' } });
    }
    const res = await realFetch.call(this, input, init);
    if (!res.ok) return res;
    // A copy of the stream, read alongside the widget: which sentence each piece belongs to.
    const [mine, theirs] = res.body.tee();
    (async () => {
      const reader = mine.getReader();
      const text = new TextDecoder();
      let buf = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buf += text.decode(value, { stream: true });
        let end;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const data = frame.split('\n').find((l) => l.startsWith('data: '));
          if (!data) continue;
          const ev = JSON.parse(data.slice(6));
          if (ev.type === 'audio') w.__b.audio.push({ index: ev.index, piece: ev.piece, last: ev.last });
        }
      }
      w.__b.streamEnd = performance.now();
    })();
    if (mode === 'pipelined') return new Response(theirs, { status: res.status, headers: res.headers });
    const whole = await new Response(theirs).arrayBuffer(); // every event, until the stream ends
    return new Response(whole, { status: res.status, headers: res.headers });
  };
}

async function once(stack, mode) {
  const { page, context } = await openPage(stack);
  await context.addInitScript(probe, mode);
  await page.goto(stack.hostOrigin + '/');
  await page.getByRole('button', { name: 'Open chat' }).click();
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(`[[reply: ${REPLY}]]`);
  const sent = await page.evaluate(() => {
    const t = performance.now();
    document.querySelector('grok-chat-widget').shadowRoot.querySelector('button[aria-label="Send"]').click();
    return t;
  });
  // Every piece of the reply scheduled (they are scheduled as they arrive).
  await page.waitForFunction(() => {
    const b = window.__b;
    return b.streamEnd != null && b.audio.length > 0 && b.sched.length >= b.audio.length;
  }, null, { timeout: 60000 });
  const b = await page.evaluate(() => window.__b);
  await context.close();
  const first = b.sched[0];
  const sound = first.at + (first.when - first.now) * 1000;
  let inSentence = 0;
  let anyPiece = 0;
  for (let i = 1; i < b.sched.length; i++) {
    const gap = (b.sched[i].when - (b.sched[i - 1].when + b.sched[i - 1].dur)) * 1000;
    anyPiece = Math.max(anyPiece, gap);
    if (b.audio[i].index === b.audio[i - 1].index) inSentence = Math.max(inSentence, gap);
  }
  return { first_sound_ms: sound - sent, max_gap_in_sentence_ms: inSentence, max_gap_ms: anyPiece, pieces: b.sched.length };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

// No clip cache: every run synthesises its speech, as a new reply would.
const stack = await startStack({ '/': (u) => ({ html: hostPage(u) }) }, { voice: 'cache_entries = 0' });
try {
  await control(stack, 'PUT', 'delays', DELAYS);
  await once(stack, 'pipelined'); // warm-up: compile caches, first TLS-free connection
  const runs = { pipelined: [], whole_reply: [], whole_stream: [] };
  for (let i = 0; i < RUNS; i++) {
    for (const mode of Object.keys(runs)) runs[mode].push(await once(stack, mode));
  }
  const first = (mode) => median(runs[mode].map((r) => r.first_sound_ms));
  const [p, w, ws] = [first('pipelined'), first('whole_reply'), first('whole_stream')];
  const gapIn = Math.max(...runs.pipelined.map((r) => r.max_gap_in_sentence_ms));
  const gapAny = Math.max(...runs.pipelined.map((r) => r.max_gap_ms));
  const samples = Object.fromEntries(Object.entries(runs).map(([m, rs]) => [m, rs.map((r) => Math.round(r.first_sound_ms))]));
  const result = {
    runs: RUNS, delays: DELAYS, sentences: 5,
    pipelined_ms: p, whole_reply_ms: w, whole_stream_ms: ws, ratio: p / w, ratio_whole_stream: p / ws,
    max_gap_in_sentence_ms: gapIn, max_gap_ms: gapAny,
    pieces: median(runs.pipelined.map((r) => r.pieces)),
    samples,
  };
  console.log(`Send → first sound, median of ${RUNS} (5-sentence reply, fake delays ${JSON.stringify(DELAYS)}):`);
  console.log(`  pipelined (as shipped):                   ${p.toFixed(0)} ms   ${JSON.stringify(samples.pipelined)}`);
  console.log(`  whole reply, then speak (/api/chat):      ${w.toFixed(0)} ms   ${JSON.stringify(samples.whole_reply)}`);
  console.log(`  waiting for the whole stream:             ${ws.toFixed(0)} ms   ${JSON.stringify(samples.whole_stream)}`);
  console.log(`  ratio pipelined / whole reply: ${result.ratio.toFixed(3)} (target <= 0.30); / whole stream: ${result.ratio_whole_stream.toFixed(3)}`);
  console.log(`  largest silence between pieces of one sentence, worst run: ${gapIn.toFixed(3)} ms (target <= 5 ms); ` +
    `between any consecutive pieces: ${gapAny.toFixed(3)} ms; ${result.pieces} pieces a reply`);
  if (OUT) writeFileSync(OUT, JSON.stringify(result, null, 2));
} finally {
  await stack.stop();
}
