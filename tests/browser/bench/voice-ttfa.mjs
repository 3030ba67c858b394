// Voice benchmark: time from pressing Send to the first audible clip (the audio element's
// `playing` event) for a 5-sentence reply, in headless Chromium against the real proxy and the
// fake x.ai with the same realistic delays as proxy/benches/time_to_first_audio.rs.
//
//   node tests/browser/bench/voice-ttfa.mjs [--runs N] [--json OUT.json]
//
// Two ways, alternating run by run on fresh pages:
// - pipelined: the widget as shipped. Each sentence's clip arrives as an `audio` event while
//   the reply still streams, and plays at once.
// - whole reply: the same widget, proxy and fake, but an init script holds the body of
//   `/api/chat/stream` until the stream has ended and then hands it to the widget in one piece,
//   so no event, audio included, reaches the widget before the whole reply is there. This is
//   what a widget that waits for the complete reply (and its speech) before playing would
//   hear; nothing in the widget is switched off or changed for it.
// Send is pressed with a synthetic click at a recorded `performance.now()`; `playing` is
// recorded on HTMLMediaElement in the page's own clock. Median of N runs each; the ratio is
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

function probe(hold) {
  const w = window;
  w.__b = {};
  document.addEventListener('playing', () => { if (w.__b.playing == null) w.__b.playing = performance.now(); }, true);
  // `playing` does not bubble and the audio element is not in the document: hook the element.
  const play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function () {
    if (!this.__hooked) {
      this.__hooked = true;
      this.addEventListener('playing', () => { if (w.__b.playing == null) w.__b.playing = performance.now(); });
    }
    return play.call(this);
  };
  // No browser voice in headless Chromium: a silent stand-in so fallbacks cannot stall.
  Object.defineProperty(w, 'speechSynthesis', { value: { getVoices: () => [], speak(u) { setTimeout(() => u.onend && u.onend({}), 0); }, cancel() {} }, configurable: true });
  if (!hold) return;
  const realFetch = w.fetch;
  w.fetch = async function (input, init) {
    const url = typeof input === 'string' ? input : input.url;
    const res = await realFetch.call(this, input, init);
    if (!url.endsWith('/api/chat/stream') || !res.ok) return res;
    const whole = await res.arrayBuffer(); // every event, until the proxy ends the stream
    w.__b.streamEnd = performance.now();
    return new Response(whole, { status: res.status, headers: res.headers });
  };
}

async function once(stack, hold) {
  const { page, context } = await openPage(stack);
  await context.addInitScript(probe, hold);
  await page.goto(stack.hostOrigin + '/');
  await page.getByRole('button', { name: 'Open chat' }).click();
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(`[[reply: ${REPLY}]]`);
  const sent = await page.evaluate(() => {
    const t = performance.now();
    document.querySelector('grok-chat-widget').shadowRoot.querySelector('button[aria-label="Send"]').click();
    return t;
  });
  await page.waitForFunction(() => window.__b.playing != null, null, { timeout: 30000 });
  const b = await page.evaluate(() => window.__b);
  await context.close();
  return b.playing - sent;
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

const stack = await startStack({ '/': (u) => ({ html: hostPage(u) }) });
try {
  await control(stack, 'PUT', 'delays', DELAYS);
  await once(stack, false); // warm-up: compile caches, first TLS-free connection
  const piped = [];
  const whole = [];
  for (let i = 0; i < RUNS; i++) {
    piped.push(await once(stack, false));
    whole.push(await once(stack, true));
  }
  const result = {
    runs: RUNS, delays: DELAYS, sentences: 5,
    pipelined_ms: median(piped), whole_reply_ms: median(whole),
    ratio: median(piped) / median(whole),
    samples: { pipelined: piped.map(Math.round), whole_reply: whole.map(Math.round) },
  };
  console.log(`Send → first playing, median of ${RUNS} (5-sentence reply, fake delays ${JSON.stringify(DELAYS)}):`);
  console.log(`  pipelined (as shipped):       ${result.pipelined_ms.toFixed(0)} ms   ${JSON.stringify(result.samples.pipelined)}`);
  console.log(`  waiting for the whole reply:  ${result.whole_reply_ms.toFixed(0)} ms   ${JSON.stringify(result.samples.whole_reply)}`);
  console.log(`  ratio pipelined / whole: ${result.ratio.toFixed(3)}`);
  if (OUT) writeFileSync(OUT, JSON.stringify(result, null, 2));
} finally {
  await stack.stop();
}
