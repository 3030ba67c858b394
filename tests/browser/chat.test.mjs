// A visitor's conversation: streaming, safe markdown, persistence, errors, Stop, keyboard.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, openPage, openPanel, screenshot, hostPage, setDelays, addFault, resetFake } from './harness.mjs';

let stack;
before(async () => {
  stack = await startStack({
    '/': (u) => ({
      html: hostPage(u, {
        body: `<script>window.__events = [];
          for (const n of ['opened', 'message', 'error'])
            document.addEventListener('grokwidget:' + n, (e) => window.__events.push({ name: n, detail: e.detail }));
          window.alert = () => { window.__alerted = true; };</script>`,
      }),
    }),
  });
});
after(async () => { await stack?.stop(); });
beforeEach(async () => { await resetFake(stack); });

const openChat = (opts) => openPanel(stack, opts);

const replies = (page) => page.locator('grok-chat-widget .gw-assistant[data-status]');
const userBubbles = (page) => page.locator('grok-chat-widget .gw-user');

async function waitIdle(page) {
  await page.getByRole('button', { name: 'Send' }).waitFor();
}

test('a typed message gets a reply that streams in', async () => {
  await setDelays(stack, 100, 120);
  const { page, context, seen, box } = await openChat();
  await box.fill('Tell me about streaming');
  await box.press('Enter');
  await assert.doesNotReject(userBubbles(page).filter({ hasText: 'Tell me about streaming' }).waitFor());
  assert.equal(await box.inputValue(), '', 'the box is emptied on send');
  // While it streams: Stop generating is offered and the text grows.
  await page.getByRole('button', { name: 'Stop generating' }).waitFor();
  const reply = replies(page).last();
  await page.waitForFunction(() => {
    const r = [...document.querySelector('grok-chat-widget').shadowRoot.querySelectorAll('.gw-assistant[data-status="streaming"] .gw-md')];
    return r.length && r[0].textContent.length > 0;
  });
  const partial = await reply.textContent();
  await waitIdle(page);
  const full = await reply.textContent();
  assert.ok(full.length > partial.length, `partial "${partial}" then full "${full}"`);
  assert.match(full, /Tell me about streaming/);
  await screenshot(page, 'desktop-1280x800-conversation');
  const events = await page.evaluate(() => window.__events);
  const msg = events.filter((e) => e.name === 'message');
  assert.equal(msg[0].detail.role, 'user');
  assert.equal(msg[1].detail.role, 'assistant');
  assert.ok(msg[1].detail.response_id, 'the message event carries the response id');
  assert.ok(msg[1].detail.usage.total_tokens > 0, 'and the usage');
  assert.deepEqual(seen.errors, []);
  for (const url of seen.requests) assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\//, url);
  await context.close();
});

test('markup in a reply stays text and markdown is rendered safely', async () => {
  const { page, context, box } = await openChat();
  const reply = '<img src=x onerror=alert(1)> **bold** and *it* `code <b>` ' +
    '[bad](javascript:alert(1)) [good](https://example.com/x) <script>alert(2)</script>\n\n' +
    '```\nlet x = "<i>";\n```\n\n- one\n- two';
  await box.fill(`[[reply: ${reply}]]`);
  await box.press('Enter');
  await waitIdle(page);
  const facts = await page.evaluate(() => {
    const root = document.querySelector('grok-chat-widget').shadowRoot;
    const md = [...root.querySelectorAll('.gw-assistant .gw-md')].pop();
    return {
      imgs: root.querySelectorAll('img, script, b, i').length,
      strong: md.querySelector('strong')?.textContent,
      em: md.querySelector('em')?.textContent,
      code: md.querySelector('p code')?.textContent,
      pre: md.querySelector('pre code')?.textContent,
      items: [...md.querySelectorAll('li')].map((l) => l.textContent),
      links: [...md.querySelectorAll('a')].map((a) => [a.getAttribute('href'), a.rel, a.target, a.textContent]),
      text: md.textContent,
    };
  });
  assert.equal(facts.imgs, 0, 'no element from the reply markup');
  assert.equal(facts.strong, 'bold');
  assert.equal(facts.em, 'it');
  assert.equal(facts.code, 'code <b>');
  assert.equal(facts.pre, 'let x = "<i>";');
  assert.deepEqual(facts.items, ['one', 'two']);
  assert.deepEqual(facts.links, [['https://example.com/x', 'noopener noreferrer', '_blank', 'good']]);
  assert.match(facts.text, /<img src=x onerror=alert\(1\)>/);
  assert.match(facts.text, /<script>alert\(2\)<\/script>/);
  assert.equal(await page.evaluate(() => window.__alerted), undefined);
  await screenshot(page, 'desktop-1280x800-markdown');
  await context.close();
});

test('reload restores the conversation and it continues; New conversation clears it', async () => {
  const { page, context, box } = await openChat();
  await box.fill('My name is Alice');
  await box.press('Enter');
  await waitIdle(page);
  await page.reload();
  await page.getByRole('button', { name: 'Open chat' }).click();
  await userBubbles(page).filter({ hasText: 'My name is Alice' }).waitFor();
  assert.equal(await replies(page).count(), 1);
  const box2 = page.getByRole('textbox', { name: 'Message' });
  await box2.fill("What's my name?");
  await box2.press('Enter');
  await waitIdle(page);
  assert.equal(await replies(page).last().textContent(), 'Your name is Alice.');
  await page.getByRole('button', { name: 'New conversation' }).click();
  assert.equal(await replies(page).count(), 0);
  assert.equal(await userBubbles(page).count(), 0);
  await page.reload();
  await page.getByRole('button', { name: 'Open chat' }).click();
  await page.getByRole('textbox', { name: 'Message' }).waitFor();
  assert.equal(await userBubbles(page).count(), 0);
  const stored = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('grokwidget:v1:demo')));
  assert.deepEqual(stored, []);
  await context.close();
});

test('corrupt stored data does not stop the widget', async () => {
  const { page, context } = await openPage(stack);
  await page.goto(stack.hostOrigin + '/');
  for (const junk of ['{not json', '{"v":1,"messages":"x"}', '{"v":1,"messages":[1,null,{"role":"evil","text":"x"},{"role":"user","text":"kept"}]}']) {
    await page.evaluate((j) => localStorage.setItem('grokwidget:v1:demo', j), junk);
    await page.reload();
    await page.getByRole('button', { name: 'Open chat' }).click();
    await page.getByRole('textbox', { name: 'Message' }).waitFor();
  }
  await userBubbles(page).filter({ hasText: 'kept' }).waitFor();
  await context.close();
});

test('a server error is shown in plain words, the text is kept, and Retry sends it', async () => {
  await addFault(stack, { kind: 'status', status: 500 });
  const { page, context, box } = await openChat();
  await box.fill('Please keep this message');
  await box.press('Enter');
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.textContent(), /having trouble \(error 50\d\)/);
  assert.equal(await box.inputValue(), 'Please keep this message');
  const events = await page.evaluate(() => window.__events.filter((e) => e.name === 'error'));
  assert.equal(events.length, 1);
  await screenshot(page, 'desktop-1280x800-error');
  await page.getByRole('button', { name: 'Retry' }).click();
  await waitIdle(page);
  await alert.waitFor({ state: 'detached' });
  assert.match(await replies(page).last().textContent(), /Please keep this message/);
  assert.equal(await box.inputValue(), '');
  assert.equal(await userBubbles(page).count(), 1);
  await context.close();
});

test('a rate limit says when to try again', async () => {
  await addFault(stack, { kind: 'status', status: 429, retry_after: 30 });
  const { page, context, box } = await openChat();
  await box.fill('Too fast?');
  await box.press('Enter');
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.textContent(), /try again in 30 seconds/);
  assert.equal(await box.inputValue(), 'Too fast?');
  await context.close();
});

test('an unreachable proxy is reported and the text kept', async () => {
  const { page, context, box } = await openChat();
  await page.route('**/api/chat/stream', (route) => route.abort('connectionrefused'));
  await box.fill('Anyone there?');
  await box.press('Enter');
  await page.getByRole('alert').filter({ hasText: "can't be reached" }).waitFor();
  assert.equal(await box.inputValue(), 'Anyone there?');
  await context.close();
});

test('a reply cut off mid-stream keeps what arrived and offers Retry', async () => {
  await addFault(stack, { kind: 'mid_stream_error', after_events: 7 });
  const { page, context, box } = await openChat();
  await box.fill('[[reply: First sentence here. Second sentence there. Third one.]]');
  await box.press('Enter');
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.textContent(), /cut off/);
  const reply = replies(page).last();
  assert.equal(await reply.getAttribute('data-status'), 'failed');
  assert.ok((await reply.locator('.gw-md').textContent()).length > 0, 'the partial text stays');
  await page.getByRole('button', { name: 'Retry' }).click();
  await waitIdle(page);
  assert.equal(await replies(page).last().textContent(), 'First sentence here. Second sentence there. Third one.');
  await context.close();
});

test('Stop generating keeps the text that arrived', async () => {
  await setDelays(stack, 50, 400);
  const { page, context, box } = await openChat();
  await box.fill('[[reply: One two three four five six seven eight nine ten eleven twelve.]]');
  await box.press('Enter');
  await page.waitForFunction(() => {
    const md = document.querySelector('grok-chat-widget').shadowRoot.querySelector('.gw-assistant[data-status="streaming"] .gw-md');
    return md && md.textContent.length > 0;
  });
  await page.getByRole('button', { name: 'Stop generating' }).click();
  await waitIdle(page);
  const reply = replies(page).last();
  assert.equal(await reply.getAttribute('data-status'), 'stopped');
  const text = await reply.locator('.gw-md').textContent();
  assert.ok(text.length > 0 && !text.includes('twelve'), `kept "${text}"`);
  await page.waitForTimeout(1000);
  assert.equal(await reply.locator('.gw-md').textContent(), text, 'nothing more arrives after Stop');
  await context.close();
});

test('keyboard only: open, type, Shift+Enter for a new line, Enter to send, Escape to close', async () => {
  const { page, context } = await openPage(stack);
  await page.goto(stack.hostOrigin + '/');
  await page.getByRole('button', { name: 'Open chat' }).waitFor();
  // Tab from the top of the page reaches the launcher (it is the page's only focusable).
  let found = false;
  for (let i = 0; i < 5 && !found; i++) {
    await page.keyboard.press('Tab');
    found = await page.evaluate(() => document.querySelector('grok-chat-widget').shadowRoot.activeElement?.getAttribute('aria-label') === 'Open chat');
  }
  assert.ok(found, 'the launcher is reachable with Tab');
  await page.keyboard.press('Enter');
  await page.getByRole('dialog').waitFor();
  const focused = () => page.evaluate(() => document.querySelector('grok-chat-widget').shadowRoot.activeElement?.getAttribute('aria-label'));
  assert.equal(await focused(), 'Message', 'focus lands in the message box');
  await page.keyboard.type('line one');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('line two');
  await page.keyboard.press('Enter');
  await userBubbles(page).first().waitFor();
  assert.equal(await userBubbles(page).first().locator('.gw-text').textContent(), 'line one\nline two');
  await waitIdle(page);
  // The focus ring is visible on a keyboard-focused control.
  await page.keyboard.press('Tab');
  const outline = await page.evaluate(() => {
    const el = document.querySelector('grok-chat-widget').shadowRoot.activeElement;
    return [el?.getAttribute('aria-label'), getComputedStyle(el).outlineStyle];
  });
  assert.equal(outline[1], 'solid', `focused ${outline[0]} shows an outline`);
  await screenshot(page, 'desktop-1280x800-keyboard-focus');
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'detached' });
  assert.equal(await focused(), 'Open chat');
  await context.close();
});

test('the host page can send a message and hears about it', async () => {
  const { page, context } = await openPage(stack);
  await page.goto(stack.hostOrigin + '/');
  await page.getByRole('button', { name: 'Open chat' }).waitFor();
  await page.evaluate(() => window.GrokWidget.send('[[reply: From the host page.]]'));
  await page.getByRole('dialog').waitFor();
  await waitIdle(page);
  assert.equal(await replies(page).last().textContent(), 'From the host page.');
  const names = await page.evaluate(() => window.__events.map((e) => e.name));
  assert.deepEqual(names, ['opened', 'message', 'message']);
  await page.evaluate(() => window.GrokWidget.close());
  await page.getByRole('dialog').waitFor({ state: 'detached' });
  await context.close();
});

test('mute is remembered and the microphone explains itself', async () => {
  const { page, context } = await openChat();
  await page.getByRole('button', { name: 'Mute replies' }).click();
  await page.getByRole('button', { name: 'Unmute replies' }).waitFor();
  // Headless Chromium has SpeechRecognition but no microphone: pressing the mic ends in
  // `not-allowed` or `audio-capture`, and the visitor reads why (voice.test.mjs covers the rest).
  await page.getByRole('button', { name: 'Voice input' }).click();
  await page.getByRole('status').filter({ hasText: /Microphone access is blocked|No microphone was found/ }).waitFor();
  await page.reload();
  await page.getByRole('button', { name: 'Open chat' }).click();
  await page.getByRole('button', { name: 'Unmute replies' }).click();
  await page.getByRole('button', { name: 'Mute replies' }).waitFor();
  await context.close();
});

test('on a phone the conversation fills the screen with a 16px message box', async () => {
  const { page, context, box } = await openChat({ width: 390, height: 844 });
  await box.fill('[[reply: Sure! Here is a **list**:\n\n1. First step\n2. Second step\n\n```\ncargo run\n```]]');
  await box.press('Enter');
  await waitIdle(page);
  const fontSize = await box.evaluate((el) => getComputedStyle(el).fontSize);
  assert.equal(fontSize, '16px');
  const boxRect = await box.boundingBox();
  assert.ok(boxRect.y + boxRect.height <= 844, 'the message box is on screen');
  await screenshot(page, 'mobile-390x844-conversation');
  await context.close();
});
