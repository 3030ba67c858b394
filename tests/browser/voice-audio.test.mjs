// Voice on Web Audio: the proxy sends each sentence's speech in pieces and the widget schedules
// them on one AudioContext, each at the exact end of the one before. Pieces play in order
// without gaps, a sentence that breaks off is finished by the browser voice from where the
// server stopped, barge-in and mute stop everything scheduled at once, a suspended context
// waits for "Tap to enable sound"; and conversation mode (hands-free).
//
// The real AudioContext of headless Chromium plays the fake x.ai's tone; an init script
// (voice-fakes.mjs, `webAudio: true`) wraps it to record every source's schedule, and fakes
// speech recognition and the browser voice as in voice.test.mjs.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, openPage, hostPage, control, addFault, resetFake, screenshot } from './harness.mjs';
import { fakes } from './voice-fakes.mjs';

let stack;
before(async () => {
  const page = (attrs) => (u) => ({ html: hostPage(u, { attrs }) });
  stack = await startStack({
    '/': page('data-client-id="demo"'),
    // Conversation mode gives up after one silent second here (the default is 8).
    '/talk': page('data-client-id="demo" data-conversation-timeout="1"'),
  });
});
after(async () => { await stack?.stop(); });
beforeEach(async () => { await resetFake(stack); });

const delays = (per_delta_ms, tts_per_chunk_ms = 0) => control(stack, 'PUT', 'delays',
  { first_token_ms: 0, per_delta_ms, tts_first_audio_ms: 0, tts_per_chunk_ms });

const SENTENCES = ['The first sentence is here.', 'The second sentence follows it.',
  'A third sentence comes next.', 'Then there is a fourth one.', 'And the fifth sentence ends it.'];
const FIVE = SENTENCES.join(' ');
/// Seconds of the fake's tone for a text: 60 ms a character, at least 300 ms.
const tone = (text) => Math.max(0.3, 0.06 * text.length);

async function openChat({ path = '/', fake = {} } = {}) {
  const { page, context, seen } = await openPage(stack);
  await context.addInitScript(fakes, { webAudio: true, ...fake });
  await page.goto(stack.hostOrigin + path);
  await page.getByRole('button', { name: 'Open chat' }).click();
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.waitFor();
  return { page, context, seen, box };
}

/// What the fakes recorded, with each scheduled piece's start and end in page time (ms).
const v = (page) => page.evaluate(() => {
  const { ctx, ...rest } = window.__v;
  rest.sched = rest.sched.map((s) => ({ ...s, start: s.at + (s.when - s.now) * 1000, end: s.at + (s.when + s.dur - s.now) * 1000 }));
  rest.now = performance.now();
  rest.ctxState = ctx ? ctx.state : null;
  return rest;
});
const tts = (seen) => seen.console.filter((l) => l.includes('[TTS]'));
const idle = (page) => page.getByRole('button', { name: 'Send' }).waitFor();
const ask = async (page, box, text) => { await box.fill(`[[reply: ${text}]]`); await box.press('Enter'); };
const pressed = (page) => page.getByRole('button', { name: 'Conversation mode' }).getAttribute('aria-pressed');

/// Silence between consecutive scheduled pieces, in seconds (negative: overlap).
const gaps = (sched) => sched.slice(1).map((s, i) => s.when - (sched[i].when + sched[i].dur));

test('the pieces of each sentence play back to back on one AudioContext, in order, without gaps', async () => {
  await delays(40, 5);
  const { page, context, seen, box } = await openChat();
  await ask(page, box, FIVE);
  await idle(page);
  await page.waitForFunction(() => window.__v.speech.length >= 5, null, { timeout: 20000 });
  const r = await v(page);
  assert.deepEqual(r.speech.map((s) => [s.index, s.path]), [0, 1, 2, 3, 4].map((i) => [i, 'server']));
  assert.deepEqual(r.plays, [], 'no audio element');
  assert.deepEqual(r.spoken, [], 'no browser voice');
  assert.ok(r.sched.length > 10, `in pieces: ${r.sched.length} for 5 sentences`);
  const total = r.sched.reduce((t, s) => t + s.dur, 0);
  const want = SENTENCES.reduce((t, s) => t + tone(s), 0);
  assert.ok(Math.abs(total - want) < 0.001 * r.sched.length, `all of the audio: ${total} s of ${want} s`);
  const g = gaps(r.sched);
  assert.ok(g.every((x) => x > -1e-6 && x < 0.001), `back to back: ${JSON.stringify(g)}`);
  assert.ok(r.sched.every((s) => s.state === 'running' && s.stopped === undefined));
  const lines = tts(seen);
  assert.equal(lines.filter((l) => l.includes('[TTS] Successfully generated audio')).length, 5, lines.join('\n'));
  // Each sentence's event comes when its first piece starts, not when it was scheduled.
  const fifth = r.sched[0].start + 1000 * SENTENCES.slice(0, 4).reduce((t, s) => t + tone(s), 0);
  assert.ok(Math.abs(r.speech[4].at - fifth) < 150,
    `the last sentence is announced as it starts: ${r.speech[4].at - fifth} ms off`);
  await context.close();
});

test('a sentence that breaks off mid-way is finished by the browser voice from where the server stopped', async () => {
  // Words 20 ms apart: the first sentence's socket has its text before the second's opens.
  await delays(20, 5);
  // The first sentence's socket drops after 0.8 s of its 1.5 s of audio.
  await addFault(stack, { kind: 'ws_drop_mid_audio', after_deltas: 8 }, 1, '/v1/tts');
  const { page, context, seen, box } = await openChat();
  const text = FIVE.replace(/sentence/g, 'phrase');
  const first = SENTENCES[0].replace('sentence', 'phrase');
  await ask(page, box, text);
  await page.waitForFunction(() => window.__v.speech.length >= 6, null, { timeout: 20000 });
  const r = await v(page);
  assert.deepEqual(r.speech.map((s) => [s.index, s.path]),
    [[0, 'server'], [0, 'browser'], [1, 'server'], [2, 'server'], [3, 'server'], [4, 'server']]);
  assert.equal(r.speech[1].reason, 'tts_failed');
  assert.equal(r.spoken.length, 1, JSON.stringify(r.spoken));
  const rest = r.spoken[0];
  assert.ok(rest.text.length > 0 && rest.text.length < first.length && first.endsWith(rest.text),
    `only what the server did not say: ${JSON.stringify(rest.text)} of ${JSON.stringify(first)}`);
  const before = r.sched.filter((s) => s.at < rest.at);
  const heard = before.reduce((t, s) => t + s.dur, 0);
  assert.ok(Math.abs(heard - 0.8) < 0.01, `the 0.8 s that came were played: ${heard}`);
  assert.ok(rest.at >= before.at(-1).end - 20, 'the browser voice starts once those pieces have played');
  const after = r.sched.filter((s) => s.at > rest.at);
  assert.ok(after.length > 0 && after[0].start >= rest.at + 100, 'the next sentence waits for the browser voice');
  assert.ok(tts(seen).some((l) => l.includes('(sentence 0: tts_failed)')));
  await context.close();
});

test('barge-in and mute during a scheduled piece stop everything scheduled at once', async () => {
  const actions = {
    mic: (page) => page.getByRole('button', { name: 'Voice input' }).click(),
    typing: (page, box) => box.pressSequentially('h'),
    'Stop generating': (page) => page.getByRole('button', { name: 'Stop generating' }).click(),
    sending: (page) => page.evaluate(() => window.GrokWidget.send('[[reply: Short.]]')),
    mute: (page) => page.getByRole('button', { name: 'Mute replies' }).click(),
  };
  for (const [how, act] of Object.entries(actions)) {
    await delays(30, 2);
    const { page, context, box } = await openChat();
    await ask(page, box, `${FIVE} ${FIVE}`);
    // Pieces are scheduled ahead and the first is playing; the reply is still being written.
    await page.waitForFunction(() => window.__v.speech.length >= 1 && window.__v.sched.length >= 3, null, { timeout: 20000 });
    // A message sent while the reply is still written waits its turn: send once it is written.
    if (how === 'sending') await idle(page);
    const at = await page.evaluate(() => performance.now());
    await act(page, box);
    await page.waitForTimeout(600);
    const r = await v(page);
    // The moment the widget silenced the reply: its first stop() call.
    const stopped = Math.min(...r.sched.map((s) => s.stopped ?? Infinity));
    assert.ok(stopped - at < 500, `${how}: silenced at once: ${stopped - at} ms after the action`);
    const pending = r.sched.filter((s) => s.at < stopped && s.end > stopped + 5);
    assert.ok(pending.length >= 2, `${how}: several pieces were due: ${pending.length}`);
    assert.ok(pending.every((s) => s.stopped !== undefined), `${how}: every scheduled piece stopped`);
    const stops = pending.map((s) => s.stopped);
    assert.ok(Math.max(...stops) - stopped < 20, `${how}: all at once: ${stops.map((s) => s - stopped)}`);
    const later = r.sched.filter((s) => s.at > stopped);
    const newReply = how === 'sending';
    assert.ok(newReply ? later.every((s) => s.at > Math.max(...stops)) : later.length === 0,
      `${how}: nothing of the old reply plays on: ${later.length}`);
    if (how === 'mute') await page.getByRole('button', { name: 'Unmute replies' }).click();
    await context.close();
  }
});

test('a suspended AudioContext waits for "Tap to enable sound", and the tap resumes it', async () => {
  await delays(0);
  const { page, context, seen } = await openChat({ fake: { suspendedAudio: true } });
  // Sent from the host page: no tap of the visitor's that could start the audio.
  await page.evaluate((t) => window.GrokWidget.send(`[[reply: ${t}]]`), FIVE);
  const tap = page.getByRole('button', { name: 'Tap to enable sound' });
  await tap.waitFor();
  await idle(page);
  let r = await v(page);
  assert.deepEqual(r.speech, [], 'nothing heard yet');
  assert.deepEqual(r.sched, [], 'nothing scheduled on the suspended context');
  assert.ok(r.resumes.length >= 1 && r.resumes.every((x) => !x.inClick), 'it asked to resume, and was refused');
  assert.ok(tts(seen).some((l) => l.includes('Autoplay was blocked')));
  await screenshot(page, 'voice-desktop-1280x800-web-audio-tap-to-enable');
  await tap.click();
  await page.waitForFunction(() => window.__v.speech.length >= 5, null, { timeout: 20000 });
  r = await v(page);
  assert.ok(r.resumes.some((x) => x.inClick), 'resumed inside the tap');
  assert.equal(r.ctxState, 'running');
  assert.deepEqual(r.speech.map((s) => [s.index, s.path]), [0, 1, 2, 3, 4].map((i) => [i, 'server']));
  assert.ok(gaps(r.sched).every((x) => x > -1e-6 && x < 0.001), 'then gapless');
  assert.equal(await tap.count(), 0);
  await context.close();
});

test('conversation mode reopens the microphone once the reply has been spoken', async () => {
  await delays(0);
  const { page, context, box } = await openChat();
  const talk = page.getByRole('button', { name: 'Conversation mode' });
  assert.equal(await talk.getAttribute('aria-pressed'), 'false');
  await talk.click();
  assert.equal(await talk.getAttribute('aria-pressed'), 'true');
  await page.getByRole('button', { name: 'Stop listening' }).waitFor();
  await screenshot(page, 'voice-desktop-1280x800-conversation-mode');
  // The visitor speaks and stops talking: the final transcript is sent.
  await page.evaluate(() => window.__hear('[[reply: Here is a short spoken answer.]]', true));
  await page.locator('grok-chat-widget .gw-user').filter({ hasText: 'short spoken answer' }).waitFor();
  await page.waitForFunction(() => window.__v.recs.length >= 2, null, { timeout: 20000 });
  const r = await v(page);
  assert.equal(r.recs[1].started, true, 'listening again');
  assert.ok(r.sched.length >= 1 && r.speech.length >= 1, 'the reply was spoken');
  const spokenUntil = Math.max(...r.sched.map((s) => s.end));
  assert.ok(r.recs[1].at >= spokenUntil - 20, `after the reply had been spoken: ${r.recs[1].at - spokenUntil} ms`);
  assert.equal(await box.inputValue(), '');
  // And round again.
  await page.evaluate(() => window.__hear('[[reply: A second answer.]]', true));
  await page.waitForFunction(() => window.__v.recs.length >= 3, null, { timeout: 20000 });
  assert.equal(await talk.getAttribute('aria-pressed'), 'true');
  await talk.click();
  assert.equal(await talk.getAttribute('aria-pressed'), 'false');
  await context.close();
});

test('conversation mode turns off on silence, Escape, typing and closing the panel', async () => {
  await delays(0);
  const conditions = {
    'the silence timeout': async (page) => {
      await page.waitForFunction(() => document.querySelector('grok-chat-widget').shadowRoot
        .querySelector('.gw-talk').getAttribute('aria-pressed') === 'false', null, { timeout: 5000 });
      assert.match(await page.locator('grok-chat-widget').getByText(/Conversation mode is off/).textContent(), /nothing was heard/);
    },
    'the recogniser hearing no speech': (page) => page.evaluate(() => {
      const r = window.__v.recs[0];
      r.started = false;
      r.onerror({ error: 'no-speech' });
      r.onend({});
    }),
    Escape: async (page, box) => {
      await box.press('Escape');
      assert.ok(await page.getByRole('dialog').isVisible(), 'the first Escape ends conversation mode only');
    },
    typing: (page, box) => box.pressSequentially('a'),
    'closing the panel': async (page) => {
      await page.locator('grok-chat-widget .gw-header').getByRole('button', { name: 'Close chat' }).click();
      await page.getByRole('button', { name: 'Open chat' }).click();
    },
  };
  for (const [what, condition] of Object.entries(conditions)) {
    const { page, context, box } = await openChat({ path: '/talk' });
    await page.getByRole('button', { name: 'Conversation mode' }).click();
    await page.getByRole('button', { name: 'Stop listening' }).waitFor();
    await condition(page, box);
    assert.equal(await pressed(page), 'false', what);
    await page.getByRole('button', { name: 'Voice input' }).waitFor();
    await page.waitForTimeout(1500);
    const r = await v(page);
    assert.equal(r.recs.length, 1, `${what}: the microphone does not reopen`);
    assert.equal(r.recs[0].started, false, `${what}: listening stopped`);
    if (what !== 'the recogniser hearing no speech') assert.equal(r.recs[0].aborted, true, `${what}: nothing heard is sent`);
    assert.equal(await page.locator('grok-chat-widget .gw-user').count(), 0, what);
    await context.close();
  }
});

test('conversation mode is remembered like mute, and the microphone never opens by itself on load', async () => {
  const { page, context } = await openChat();
  await page.getByRole('button', { name: 'Conversation mode' }).click();
  await page.getByRole('button', { name: 'Stop listening' }).waitFor();
  await page.reload();
  await page.getByRole('button', { name: 'Open chat' }).click();
  await page.getByRole('button', { name: 'Conversation mode' }).waitFor();
  assert.equal(await pressed(page), 'true');
  await page.waitForTimeout(500);
  assert.equal((await v(page)).recs.length, 0, 'not listening until the visitor uses the microphone');
  await page.getByRole('button', { name: 'Conversation mode' }).click();
  await page.reload();
  await page.getByRole('button', { name: 'Open chat' }).click();
  await page.getByRole('button', { name: 'Conversation mode' }).waitFor();
  assert.equal(await pressed(page), 'false');
  await context.close();
});
