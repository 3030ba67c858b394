// OpenAI and Anthropic clients: the proxy has no server voice for them, so the widget reads the
// reply with the browser voice, and it must do so sentence by sentence while the reply streams,
// not once the whole reply has arrived.
//
// An init script replaces speechSynthesis with a fake that records each utterance and when it
// was asked for (headless Chromium here has no voices), and records when the reply was complete
// (the `grokwidget:message` event of the assistant's message).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, openPage, hostPage } from './harness.mjs';

function fakes() {
  const w = window;
  w.__v = { spoken: [], messages: [], speech: [] };
  const v = w.__v;
  class Utterance {
    constructor(text) {
      Object.assign(this, { text, lang: '', voice: null, rate: 1, pitch: 1, volume: 1, onend: null, onerror: null });
    }
  }
  const synth = {
    speaking: false, pending: false, paused: false, current: null,
    getVoices: () => [{ name: 'Google UK English Female', lang: 'en-GB', default: true, localService: false, voiceURI: 'gb' }],
    speak(u) {
      v.spoken.push({ text: u.text, at: performance.now() });
      this.current = u;
      setTimeout(() => { if (this.current === u) { this.current = null; u.onend && u.onend({}); } }, 50);
    },
    cancel() { this.current = null; },
    pause() {}, resume() {}, addEventListener() {}, removeEventListener() {},
  };
  Object.defineProperty(w, 'speechSynthesis', { value: synth, configurable: true });
  w.SpeechSynthesisUtterance = Utterance;
  document.addEventListener('grokwidget:message', (e) => v.messages.push({ role: e.detail.role, at: performance.now() }));
  document.addEventListener('grokwidget:speech', (e) => v.speech.push(e.detail.reason));
}

// 40 ms between the fake's chunks of about a word: the five sentences take well over a second
// to arrive, the first one a fraction of that.
const PER_DELTA_MS = 40;
const FIVE = 'The first sentence is here. The second sentence follows it. ' +
  'A third sentence comes next. Then there is a fourth one. And the fifth sentence ends it.';

let stack;
before(async () => {
  const page = (client) => (u) => ({ html: hostPage(u, { attrs: `data-client-id="${client}"` }) });
  stack = await startStack({ '/openai': page('openai'), '/anthropic': page('anthropic') },
    { providers: { first_token_ms: 0, per_delta_ms: PER_DELTA_MS } });
});
after(async () => { await stack?.stop(); });

for (const provider of ['openai', 'anthropic']) {
  test(`${provider}: the browser voice reads each sentence as soon as it has streamed in`, async () => {
    const { page, context, seen } = await openPage(stack);
    await context.addInitScript(fakes);
    await page.goto(`${stack.hostOrigin}/${provider}`);
    await page.getByRole('button', { name: 'Open chat' }).click();
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill(`[[reply: ${FIVE}]]`);
    await box.press('Enter');
    await page.waitForFunction(() => window.__v.spoken.length >= 5, null, { timeout: 20000 });
    const r = await page.evaluate(() => window.__v);
    assert.deepEqual(r.spoken.map((u) => u.text), [
      'The first sentence is here.', 'The second sentence follows it.', 'A third sentence comes next.',
      'Then there is a fourth one.', 'And the fifth sentence ends it.',
    ]);
    const done = r.messages.find((m) => m.role === 'assistant');
    assert.ok(done, 'the reply completed');
    // The first sentence was spoken while the rest was still streaming: at least the time the
    // other four sentences' chunks take (well over 10 chunks at 40 ms) before the reply ended.
    assert.ok(done.at - r.spoken[0].at > 10 * PER_DELTA_MS,
      `first sentence spoken ${Math.round(done.at - r.spoken[0].at)} ms before the reply ended`);
    assert.deepEqual(r.speech, Array(5).fill('voice_off'), 'each sentence says why the browser spoke it');
    assert.deepEqual(seen.errors, []);
    await context.close();
  });
}
