// Voice: speech input, replies spoken sentence by sentence (server clips, per-sentence browser
// fallback), barge-in, mute, the autoplay affordance and session tokens.
//
// Headless Chromium here has no voices and never transcribes, so an init script
// (voice-fakes.mjs) replaces SpeechRecognition and speechSynthesis with fakes that record what
// the widget asked of them, and instruments HTMLMediaElement.play/pause. Server clips are real
// WAV data URLs from the proxy (fake x.ai's tone voice) and really play
// (--autoplay-policy=no-user-gesture-required). These tests run without Web Audio, on the
// widget's audio-element fallback; voice-audio.test.mjs covers the same on Web Audio.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, openPage, screenshot, hostPage, control, addFault, resetFake } from './harness.mjs';
import { fakes } from './voice-fakes.mjs';

let stack;
before(async () => {
  const page = (client) => (u) => ({ html: hostPage(u, { attrs: `data-client-id="${client}"` }) });
  stack = await startStack({ '/': page('demo'), '/quiet': page('quiet'), '/secure': page('secure') });
});
after(async () => { await stack?.stop(); });
beforeEach(async () => { await resetFake(stack); });

const delays = (per_delta_ms) => control(stack, 'PUT', 'delays',
  { first_token_ms: 0, per_delta_ms, tts_first_audio_ms: 0, tts_per_chunk_ms: 0 });

const FIVE = 'The first sentence is here. The second sentence follows it. ' +
  'A third sentence comes next. Then there is a fourth one. And the fifth sentence ends it.';

async function openChat({ path = '/', fake = {}, width, height } = {}) {
  const { page, context, seen } = await openPage(stack, { width, height });
  await context.addInitScript(fakes, fake);
  await page.goto(stack.hostOrigin + path);
  await page.getByRole('button', { name: 'Open chat' }).click();
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.waitFor();
  return { page, context, seen, box };
}

const v = (page) => page.evaluate(() => window.__v);
const tts = (seen) => seen.console.filter((l) => l.includes('[TTS]'));
const idle = (page) => page.getByRole('button', { name: 'Send' }).waitFor();

async function ask(page, box, text) {
  await box.fill(`[[reply: ${text}]]`);
  await box.press('Enter');
}

test('speech input shows interim words in the textbox and sends the final transcript', async () => {
  const { page, context, box } = await openChat();
  const mic = page.getByRole('button', { name: 'Voice input' });
  assert.equal(await mic.getAttribute('aria-disabled'), 'false');
  await mic.click();
  await page.getByRole('button', { name: 'Stop listening' }).waitFor();
  const rec = await page.evaluate(() => ({ lang: window.__v.recs[0].lang, interim: window.__v.recs[0].interimResults, started: window.__v.recs[0].started }));
  assert.deepEqual(rec, { lang: 'en-US', interim: true, started: true }, 'the client\'s stt_language');
  await page.evaluate(() => window.__hear('what is the', false));
  await page.waitForFunction(() => document.querySelector('grok-chat-widget').shadowRoot.querySelector('textarea').value === 'what is the');
  await page.evaluate(() => window.__hear('what is the weather', true));
  await page.locator('grok-chat-widget .gw-user').filter({ hasText: 'what is the weather' }).waitFor();
  await idle(page);
  assert.equal(await box.inputValue(), '', 'the sent transcript leaves the box');
  await page.getByRole('button', { name: 'Voice input' }).waitFor();
  await context.close();
});

test('a five-sentence reply plays its clips in order, the first before the text has finished', async () => {
  await delays(60);
  const { page, context, seen, box } = await openChat();
  await ask(page, box, FIVE);
  await idle(page);
  await page.waitForFunction(() => window.__v.speech.length >= 5 && window.__v.plays.length >= 5, null, { timeout: 20000 });
  await page.waitForTimeout(300);
  const r = await v(page);
  assert.deepEqual(r.speech.map((s) => [s.index, s.path]), [0, 1, 2, 3, 4].map((i) => [i, 'server']));
  assert.equal(r.plays.length, 5, 'one play() per clip');
  assert.ok(r.plays.every((p) => p.src.startsWith('data:audio/wav;base64,')));
  assert.deepEqual(r.spoken, [], 'no browser voice');
  const done = r.messages.find((m) => m.role === 'assistant').at;
  assert.ok(r.speech[0].at < done, `first clip at ${r.speech[0].at} ms, reply done at ${done} ms`);
  const lines = tts(seen);
  assert.equal(lines.filter((l) => l.includes('[TTS] Successfully generated audio')).length, 5, lines.join('\n'));
  assert.ok(!lines.some((l) => l.includes('Falling back')), lines.join('\n'));
  await context.close();
});

test('an audio_error sends exactly that sentence to the browser voice, en-GB at rate 0.95', async () => {
  await delays(0);
  await addFault(stack, { kind: 'status', status: 500 }, 1, '/v1/tts');
  const { page, context, seen, box } = await openChat();
  // Words no earlier test used, so no sentence can come from a cache.
  const text = FIVE.replace(/sentence/g, 'line');
  await ask(page, box, text);
  await page.waitForFunction(() => window.__v.speech.length >= 5, null, { timeout: 20000 });
  const r = await v(page);
  const browser = r.speech.filter((s) => s.path === 'browser');
  assert.equal(browser.length, 1, JSON.stringify(r.speech));
  assert.deepEqual(r.speech.map((s) => s.index), [0, 1, 2, 3, 4], 'in order across both paths');
  assert.equal(r.spoken.length, 1);
  const u = r.spoken[0];
  assert.equal(u.voice, 'Google UK English Female');
  assert.ok(Math.abs(u.rate - 0.95) < 1e-6, `rate ${u.rate}`);
  assert.equal(u.pitch, 1);
  assert.equal(u.volume, 1);
  assert.ok(text.includes(u.text), `the sentence itself: ${u.text}`);
  assert.equal(r.plays.length, 4, 'the other four are clips');
  const lines = tts(seen);
  assert.ok(lines.some((l) => l.includes(`[TTS] Falling back to browser speech synthesis (sentence ${browser[0].index}: tts_`)), lines.join('\n'));
  await context.close();
});

test('a clip whose play() fails is spoken by the browser voice in its place', async () => {
  await delays(0);
  const { page, context, seen, box } = await openChat({ fake: { breakPlay: 1 } });
  await ask(page, box, FIVE);
  await page.waitForFunction(() => window.__v.speech.length >= 5, null, { timeout: 20000 });
  const r = await v(page);
  assert.deepEqual(r.speech.map((s) => [s.index, s.path]),
    [[0, 'server'], [1, 'browser'], [2, 'server'], [3, 'server'], [4, 'server']]);
  assert.equal(r.speech[1].reason, 'NotSupportedError');
  assert.equal(r.spoken.length, 1);
  assert.equal(r.spoken[0].text, 'The second sentence follows it.');
  assert.ok(tts(seen).some((l) => l.includes('(sentence 1: NotSupportedError)')));
  await context.close();
});

test('with server voice off the browser reads the whole reply sentence by sentence', async () => {
  await delays(10);
  const { page, context, seen, box } = await openChat({ path: '/quiet' });
  await ask(page, box, FIVE);
  await page.waitForFunction(() => window.__v.spoken.length >= 5, null, { timeout: 20000 });
  const r = await v(page);
  assert.deepEqual(r.spoken.map((u) => u.text), [
    'The first sentence is here.', 'The second sentence follows it.', 'A third sentence comes next.',
    'Then there is a fourth one.', 'And the fifth sentence ends it.',
  ]);
  assert.ok(r.spoken.every((u) => u.voice === 'Google UK English Female'));
  assert.equal(r.plays.length, 0, 'no server audio');
  assert.deepEqual(r.speech.map((s) => s.reason), Array(5).fill('voice_off'));
  assert.ok(tts(seen).some((l) => l.includes('(sentence 0: voice_off)')));
  await context.close();
});

/// Starts a long spoken reply and waits until its first clip is audible.
async function speaking(page, box) {
  await ask(page, box, FIVE + ' ' + FIVE);
  await page.waitForFunction(() => window.__v.speech.length >= 1, null, { timeout: 20000 });
  return v(page);
}

async function assertSilenced(page, before, how) {
  await page.waitForTimeout(1200);
  const after = await v(page);
  assert.ok(after.cancels > before.cancels, `${how}: speechSynthesis.cancel()`);
  assert.ok(after.pauses > before.pauses, `${how}: audio paused`);
  const sinceOld = after.plays.filter((p) => p.at > before.at);
  return { after, sinceOld };
}

test('barge-in: the mic, typing and sending each stop all speech at once', async () => {
  await delays(0);
  const { page, context, box } = await openChat();
  // By the mic.
  let before = { ...(await speaking(page, box)), at: 0 };
  await idle(page);
  before = { ...(await v(page)) };
  before.at = await page.evaluate(() => performance.now());
  await page.getByRole('button', { name: 'Voice input' }).click();
  let { after, sinceOld } = await assertSilenced(page, before, 'mic');
  assert.equal(sinceOld.length, 0, 'no clip after the mic was pressed');
  await page.getByRole('button', { name: 'Stop listening' }).click();
  await page.getByRole('button', { name: 'Voice input' }).waitFor();
  // By typing.
  await speaking(page, box);
  await idle(page);
  before = await v(page);
  before.at = await page.evaluate(() => performance.now());
  await box.pressSequentially('h');
  ({ after, sinceOld } = await assertSilenced(page, before, 'typing'));
  assert.equal(sinceOld.length, 0, 'no clip after typing');
  assert.equal(await box.inputValue(), 'h');
  await box.fill('');
  // By sending (from the host page, so no typing is involved): only the new reply plays.
  await speaking(page, box);
  await idle(page);
  before = await v(page);
  before.at = await page.evaluate(() => performance.now());
  await page.evaluate(() => window.GrokWidget.send('[[reply: Short.]]'));
  ({ after } = await assertSilenced(page, before, 'sending'));
  const newSpeech = after.speech.filter((s) => s.at > before.at);
  assert.ok(newSpeech.every((s) => s.index === 0), JSON.stringify(newSpeech));
  await context.close();
});

test('mute silences speech at once and is remembered across a reload', async () => {
  await delays(0);
  const { page, context, box } = await openChat();
  await speaking(page, box);
  const before = await v(page);
  before.at = await page.evaluate(() => performance.now());
  await page.getByRole('button', { name: 'Mute replies' }).click();
  const { sinceOld } = await assertSilenced(page, before, 'mute');
  assert.equal(sinceOld.length, 0);
  await idle(page);
  await page.reload();
  await page.getByRole('button', { name: 'Open chat' }).click();
  await page.getByRole('button', { name: 'Unmute replies' }).waitFor();
  const box2 = page.getByRole('textbox', { name: 'Message' });
  await ask(page, box2, 'Still muted here. Nothing should be heard at all.');
  await idle(page);
  await page.waitForTimeout(800);
  const r = await v(page);
  assert.equal(r.plays.length, 0, 'no clip while muted');
  assert.equal(r.spoken.length, 0, 'no browser voice while muted');
  await page.getByRole('button', { name: 'Unmute replies' }).click();
  await context.close();
});

test('unmuting in the middle of a reply speaks from the sentence on screen', async () => {
  await delays(120);
  const { page, context, seen, box } = await openChat();
  await page.getByRole('button', { name: 'Mute replies' }).click();
  await ask(page, box, FIVE + ' ' + FIVE);
  // Two sentences are on screen and a third is being written.
  await page.waitForFunction(() => {
    const md = document.querySelector('grok-chat-widget').shadowRoot
      .querySelector('.gw-assistant[data-status="streaming"] .gw-md');
    return md && md.textContent.includes('A third sentence');
  }, null, { timeout: 20000 });
  assert.equal((await v(page)).speech.length, 0, 'nothing is heard while muted');
  await page.getByRole('button', { name: 'Unmute replies' }).click();
  await page.waitForFunction(() => window.__v.speech.length >= 1, null, { timeout: 20000 });
  const r = await v(page);
  const first = r.speech[0].index;
  assert.ok(first >= 1 && first <= 4, `speech starts at the sentence on screen, not at the top: ${first}`);
  assert.equal(r.speech[0].path, 'server', 'its server clip');
  assert.ok(tts(seen).some((l) => l.includes('unmuted: speaking from sentence')));
  await page.getByRole('button', { name: 'Mute replies' }).click();
  await context.close();
});

test('autoplay refused shows "Tap to enable sound", and the tap plays the reply', async () => {
  await delays(0);
  const { page, context, seen, box } = await openChat({ fake: { blockFirstPlay: true } });
  await ask(page, box, FIVE);
  const tap = page.getByRole('button', { name: 'Tap to enable sound' });
  await tap.waitFor();
  await idle(page);
  assert.deepEqual((await v(page)).speech, [], 'nothing played yet');
  assert.ok(tts(seen).some((l) => l.includes('Autoplay was blocked')));
  await screenshot(page, 'voice-desktop-1280x800-tap-to-enable');
  await tap.click();
  await page.waitForFunction(() => window.__v.speech.length >= 5, null, { timeout: 20000 });
  const r = await v(page);
  assert.deepEqual(r.speech.map((s) => [s.index, s.path]), [0, 1, 2, 3, 4].map((i) => [i, 'server']));
  assert.equal(await tap.count(), 0, 'the button goes away');
  await context.close();
});

test('on a phone the voice controls fit: mic, mute and the tap button', async () => {
  await delays(0);
  const { page, context, box } = await openChat({ width: 390, height: 844, fake: { blockFirstPlay: true } });
  await ask(page, box, 'Hello there on the phone. This is a second sentence.');
  await page.getByRole('button', { name: 'Tap to enable sound' }).waitFor();
  await idle(page);
  await screenshot(page, 'voice-phone-390x844-tap-to-enable');
  for (const name of ['Conversation mode', 'Voice input', 'Mute replies', 'Tap to enable sound', 'Send']) {
    const b = await page.getByRole('button', { name }).boundingBox();
    assert.ok(b && b.x >= 0 && b.x + b.width <= 390 && b.height >= 36, `${name}: ${JSON.stringify(b)}`);
  }
  await context.close();
});

test('without speech recognition the mic is disabled and says why', async () => {
  const { page, context, seen } = await openChat({ fake: { noRecognition: true } });
  const mic = page.getByRole('button', { name: 'Voice input' });
  assert.equal(await mic.getAttribute('aria-disabled'), 'true');
  const hint = page.locator('grok-chat-widget .gw-hint');
  assert.match(await hint.textContent(), /isn't supported in this browser/);
  assert.ok(await hint.isVisible());
  await mic.click({ force: true }); // aria-disabled: Playwright would wait for it to enable
  await page.waitForTimeout(200);
  assert.equal(await page.locator('grok-chat-widget .gw-notice').count(), 0, 'said once, not twice');
  assert.deepEqual(seen.errors, []);
  await screenshot(page, 'voice-desktop-1280x800-mic-unsupported');
  await context.close();
});

test('a denied microphone disables the mic with an explanation, no alert', async () => {
  const { page, context } = await openChat();
  page.on('dialog', () => assert.fail('no dialog'));
  await page.getByRole('button', { name: 'Voice input' }).click();
  await page.evaluate(() => {
    const r = window.__v.recs[0];
    r.onerror({ error: 'not-allowed' });
    r.onend({});
  });
  const mic = page.getByRole('button', { name: 'Voice input' });
  await page.waitForFunction(() => document.querySelector('grok-chat-widget').shadowRoot.querySelector('.gw-mic').getAttribute('aria-disabled') === 'true');
  assert.match(await page.locator('grok-chat-widget .gw-hint').textContent(), /Microphone access is blocked/);
  assert.equal(await mic.getAttribute('aria-disabled'), 'true');
  await context.close();
});

test('the chosen voice is sent with each message', async () => {
  const { page, context, box } = await openChat();
  const bodies = [];
  page.on('request', (r) => { if (r.url().endsWith('/api/chat/stream')) bodies.push(JSON.parse(r.postData())); });
  await page.evaluate(() => window.GrokWidget.setVoice('leo'));
  await ask(page, box, 'Hi.');
  await idle(page);
  await page.evaluate(() => window.GrokWidget.setVoice('nobody'));
  await ask(page, box, 'Hi again.');
  await idle(page);
  assert.equal(bodies[0].voice, 'leo');
  assert.equal(bodies[1].voice, undefined, 'a voice the site does not offer falls back to its default');
  await context.close();
});

test('a site with session tokens gets X-Widget-Session, and an expired token is renewed once', async () => {
  const { page, context, box } = await openChat({ path: '/secure' });
  const headers = [];
  const all = [];
  let infoFetches = 0;
  page.on('request', (r) => {
    if (r.url().endsWith('/api/chat/stream') && r.method() === 'POST') headers.push(r.headers()['x-widget-session']);
    if (r.url().endsWith('/api/chat/stream')) all.push(r.method() + ' ' + r.url() + ' ' + r.headers()['x-widget-session']);
    if (r.url().endsWith('/api/clients/secure')) infoFetches++;
  });
  await ask(page, box, 'First message.');
  await idle(page);
  assert.ok(headers[0] && headers[0].length > 10, `token sent: ${headers[0]}`);
  assert.match(await page.locator('grok-chat-widget .gw-assistant[data-status="done"]').last().textContent(), /First message/);
  // The proxy says the token is no longer valid, once: the widget fetches a new one and resends.
  let refused = false;
  await page.route('**/api/chat/stream', async (route) => {
    if (refused || route.request().method() !== 'POST') return route.continue();
    refused = true;
    await route.fulfill({ status: 403, contentType: 'application/json', headers: { 'access-control-allow-origin': stack.hostOrigin },
      body: JSON.stringify({ error: { code: 'session_invalid', message: 'Your session expired. Reload the page.' } }) });
  });
  await ask(page, box, 'Second message.');
  await page.locator('grok-chat-widget .gw-assistant[data-status="done"]').filter({ hasText: 'Second message' }).waitFor();
  assert.equal(infoFetches, 1, 'one fresh ClientInfo');
  // (Playwright reports a routed request more than once, so count tokens, not events.)
  assert.ok(headers.length >= 3, `sent, refused, sent again: ${all.join('\n')}`);
  assert.notEqual(headers.at(-1), headers[0], 'the retry carries the fresh token');
  assert.equal(await page.locator('grok-chat-widget .gw-problem').count(), 0);
  assert.equal(await page.locator('grok-chat-widget .gw-user').filter({ hasText: 'Second message' }).count(), 1);
  await context.close();
});

test('dictation is added to what was typed, not put in its place', async () => {
  const { page, context, box } = await openChat();
  await box.fill('Please translate:');
  await page.getByRole('button', { name: 'Voice input' }).click();
  await page.getByRole('button', { name: 'Stop listening' }).waitFor();
  await page.evaluate(() => window.__hear('good morning', false));
  await page.waitForFunction(() => document.querySelector('grok-chat-widget').shadowRoot.querySelector('textarea').value === 'Please translate: good morning');
  await page.evaluate(() => window.__hear('good morning everyone', true));
  await page.locator('grok-chat-widget .gw-user').filter({ hasText: 'Please translate: good morning everyone' }).waitFor();
  await idle(page);
  assert.equal(await box.inputValue(), '');
  await context.close();
});

test('after a denied microphone, a new tap on the mic asks again', async () => {
  const { page, context } = await openChat();
  await page.getByRole('button', { name: 'Voice input' }).click();
  await page.evaluate(() => {
    const r = window.__v.recs[0];
    r.onerror({ error: 'not-allowed' });
    r.onend({});
  });
  await page.locator('grok-chat-widget .gw-hint').filter({ hasText: /Microphone access is blocked/ }).waitFor();
  // The visitor allowed the microphone in the site settings and taps again.
  await page.getByRole('button', { name: 'Voice input' }).click({ force: true });
  await page.getByRole('button', { name: 'Stop listening' }).waitFor();
  const r = await v(page);
  assert.equal(r.recs.length, 2, 'a new recognition was started');
  assert.equal(r.recs[1].started, true);
  assert.equal(await page.locator('grok-chat-widget .gw-hint').count(), 0, 'the explanation goes while listening');
  await context.close();
});

test('after "Tap to enable sound" focus goes to the message box', async () => {
  await delays(0);
  const { page, context, box } = await openChat({ fake: { blockFirstPlay: true } });
  await ask(page, box, 'A sentence to hear.');
  await page.getByRole('button', { name: 'Tap to enable sound' }).click();
  await page.getByRole('button', { name: 'Tap to enable sound' }).waitFor({ state: 'detached' });
  const focused = await page.evaluate(() => document.querySelector('grok-chat-widget').shadowRoot.activeElement?.getAttribute('aria-label'));
  assert.equal(focused, 'Message');
  await context.close();
});
