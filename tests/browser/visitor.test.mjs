// What a demanding visitor found (issue #24): phones with pages wider than the screen, closing
// the panel mid-reply, two tabs, reloads mid-reply, Retry, long messages, focus, queued
// messages, undo, the site owner's offsets.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, openPage, hostPage, setDelays, addFault, resetFake, screenshot } from './harness.mjs';

const VIEWPORT_META = '<meta name="viewport" content="width=device-width, initial-scale=1">';
/// A page whose content is `w` px wide, like the demo's home page (545 px: a `<select>`) and
/// demo-site/hostile.html (793 px).
const wide = (w) => (u) => ({
  html: hostPage(u, { head: VIEWPORT_META, body: `<div style="width:${w}px;height:1600px;background:#e5e7eb">A wide table</div>` }),
});

let stack;
before(async () => {
  stack = await startStack({
    '/': (u) => ({ html: hostPage(u) }),
    '/wide545': wide(545),
    '/wide793': wide(793),
    '/offset': (u) => ({ html: hostPage(u, { attrs: 'data-client-id="demo" data-offset-x="30" data-offset-y="100"' }) }),
    '/offset-css': (u) => ({ html: hostPage(u, { head: '<style>grok-chat-widget { --grokwidget-offset-y: 150px; }</style>' }) }),
  });
});
after(async () => { await stack?.stop(); });
beforeEach(async () => { await resetFake(stack); });

const replies = (page) => page.locator('grok-chat-widget .gw-assistant[data-status]');
const userBubbles = (page) => page.locator('grok-chat-widget .gw-user');
const waitIdle = (page) => page.getByRole('button', { name: 'Send' }).waitFor();
const focused = (page) => page.evaluate(() => document.querySelector('grok-chat-widget').shadowRoot.activeElement?.getAttribute('aria-label'));

async function openChat(opts, path = '/') {
  const { page, context, seen } = await openPage(stack, opts);
  await page.goto(stack.hostOrigin + path);
  await page.getByRole('button', { name: 'Open chat' }).click();
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.waitFor();
  return { page, context, seen, box };
}

/// Where the element matching `sel` in the widget is, against the visual viewport (what is on
/// screen).
function placement(page, sel) {
  return page.evaluate((sel) => {
    const el = document.querySelector('grok-chat-widget').shadowRoot.querySelector(sel);
    const r = el.getBoundingClientRect();
    const v = window.visualViewport;
    const e = 0.5;
    return {
      rect: [r.left, r.top, r.right, r.bottom].map(Math.round),
      screen: [v.offsetLeft, v.offsetTop, v.offsetLeft + v.width, v.offsetTop + v.height].map(Math.round),
      onScreenWidth: r.width * v.scale,
      inside: r.width > 0 && r.left >= v.offsetLeft - e && r.top >= v.offsetTop - e &&
        r.right <= v.offsetLeft + v.width + e && r.bottom <= v.offsetTop + v.height + e,
    };
  }, sel);
}

async function assertOnScreen(page, sel, what) {
  const p = await placement(page, sel);
  assert.ok(p.inside, `${what} is on screen: ${JSON.stringify(p)}`);
  return p;
}

test('on a phone, a page wider than the screen keeps the launcher and the open panel on screen', async () => {
  for (const w of [545, 793]) {
    const { page, context, seen } = await openPage(stack, { width: 390, height: 844, isMobile: true });
    await page.goto(`${stack.hostOrigin}/wide${w}`);
    await page.getByRole('button', { name: 'Open chat' }).waitFor();
    await assertOnScreen(page, '.gw-launcher', `${w}px page: the launcher`);
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await page.waitForTimeout(200);
    await assertOnScreen(page, '.gw-launcher', `${w}px page scrolled to the bottom: the launcher`);
    if (w === 793) await screenshot(page, 'phone-390x844-wide-page-closed');
    // Opened by the host page's API: header and close button on screen.
    await page.evaluate(() => window.GrokWidget.open());
    await page.getByRole('dialog').waitFor();
    await assertOnScreen(page, '.gw-header', `${w}px page: the panel's header`);
    await assertOnScreen(page, '.gw-header [aria-label="Close chat"]', `${w}px page: the close button`);
    await assertOnScreen(page, '.gw-composer', `${w}px page: the message box`);
    if (w === 793) {
      await page.getByRole('textbox', { name: 'Message' }).fill('[[reply: It fits the screen.]]');
      await page.getByRole('textbox', { name: 'Message' }).press('Enter');
      await waitIdle(page);
      await screenshot(page, 'phone-390x844-wide-page-open');
    }
    await page.locator('grok-chat-widget .gw-header [aria-label="Close chat"]').click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    // Pinch-zoomed in: the launcher follows the visual viewport and keeps its size on screen.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setPageScaleFactor', { pageScaleFactor: 2 });
    await page.waitForFunction(() => window.visualViewport.scale === 2);
    await page.waitForTimeout(200);
    const zoomed = await assertOnScreen(page, '.gw-launcher', `${w}px page zoomed in: the launcher`);
    assert.ok(Math.abs(zoomed.onScreenWidth - 56) < 2, `the launcher stays 56 px on screen: ${zoomed.onScreenWidth}`);
    assert.deepEqual(seen.errors, []);
    await context.close();
  }
});

test('site owners can move the launcher off their own corner content', async () => {
  const launcher = async (path) => {
    const { page, context } = await openPage(stack);
    await page.goto(stack.hostOrigin + path);
    await page.getByRole('button', { name: 'Open chat' }).waitFor();
    const p = await placement(page, '.gw-launcher');
    await context.close();
    return { right: 1280 - p.rect[2], bottom: 800 - p.rect[3] };
  };
  assert.deepEqual(await launcher('/'), { right: 20, bottom: 20 }, 'the default margin');
  assert.deepEqual(await launcher('/offset'), { right: 30, bottom: 100 }, 'data-offset-x / data-offset-y');
  assert.deepEqual(await launcher('/offset-css'), { right: 20, bottom: 150 }, 'the --grokwidget-offset-y custom property');
});

const LONG = 'This reply is long on purpose, so that it is still arriving while the visitor closes ' +
  'the panel. It goes on for a few sentences. Every sentence adds a few more words to the stream. ' +
  'The widget must survive the panel closing at any of these moments. And this is the end.';

test('closing the panel at any moment of a reply, muted or not, never crashes the widget', async () => {
  // About 2 s of streaming: the points below fall inside it.
  await setDelays(stack, 50, 40);
  const closers = {
    Escape: (page) => page.keyboard.press('Escape'),
    launcher: (page) => page.locator('grok-chat-widget .gw-launcher').click(),
    'header close': (page) => page.locator('grok-chat-widget .gw-header [aria-label="Close chat"]').click(),
  };
  for (const muted of [true, false]) {
    const { page, context, seen, box } = await openChat();
    if (muted) await page.getByRole('button', { name: 'Mute replies' }).click();
    let round = 0;
    for (const [how, close] of Object.entries(closers)) {
      for (const at of [0, 200, 600, 1000, 1500, 1900]) {
        round++;
        await box.fill(`[[reply: ${LONG}]]`);
        await box.press('Enter');
        await page.waitForTimeout(at);
        await close(page);
        await page.getByRole('dialog').waitFor({ state: 'detached' });
        await page.waitForTimeout(60);
        assert.deepEqual(seen.errors, [], `${muted ? 'muted' : 'unmuted'}, ${how} at ${at} ms\n${seen.console.filter((l) => l.startsWith('error')).join('\n')}`);
        await page.getByRole('button', { name: 'Open chat' }).click();
        await box.waitFor();
        await waitIdle(page);
      }
    }
    await page.waitForTimeout(300);
    assert.deepEqual(seen.errors, []);
    assert.equal(await replies(page).count(), round, 'every reply is there');
    await context.close();
  }
});

/// Two tabs of the same site: two pages of one browser context share localStorage.
async function twoTabs() {
  const context = await stack.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  const tab = async () => {
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(stack.hostOrigin + '/');
    await page.getByRole('button', { name: 'Open chat' }).click();
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.waitFor();
    return { page, box };
  };
  const a = await tab();
  const b = await tab();
  return { context, a, b, errors };
}

async function say(tab, text) {
  await tab.box.fill(`[[reply: ${text}]]`);
  await tab.box.press('Enter');
  await waitIdle(tab.page);
}

const stored = (page) => page.evaluate(() => localStorage.getItem('grokwidget:v1:demo') || '');

test('two tabs: New conversation in one is not undone when the other saves', async () => {
  const { context, a, b, errors } = await twoTabs();
  await say(a, 'A private answer.');
  await b.page.reload();
  await b.page.getByRole('button', { name: 'Open chat' }).click();
  await replies(b.page).filter({ hasText: 'A private answer.' }).waitFor();
  await b.page.getByRole('button', { name: 'New conversation' }).click();
  // Tab A follows: the cleared conversation is gone there too…
  await replies(a.page).filter({ hasText: 'A private answer.' }).waitFor({ state: 'detached' });
  // …and A's next exchange does not bring it back.
  await say(a, 'A fresh start.');
  assert.doesNotMatch(await stored(a.page), /A private answer/);
  await b.page.reload();
  await b.page.getByRole('button', { name: 'Open chat' }).click();
  await replies(b.page).filter({ hasText: 'A fresh start.' }).waitFor();
  assert.equal(await replies(b.page).filter({ hasText: 'A private answer.' }).count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('two tabs: a message either tab showed is never lost', async () => {
  const { context, a, b, errors } = await twoTabs();
  await say(b, 'Answer in tab B.');
  await say(a, 'Answer in tab A.');
  // Both tabs show both exchanges, and so does the next visit.
  for (const page of [a.page, b.page]) {
    await replies(page).filter({ hasText: 'Answer in tab B.' }).waitFor();
    await replies(page).filter({ hasText: 'Answer in tab A.' }).waitFor();
  }
  const s = await stored(a.page);
  assert.match(s, /Answer in tab B/);
  assert.match(s, /Answer in tab A/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a reload while a reply streams keeps what arrived, marked interrupted, with Retry', async () => {
  await setDelays(stack, 50, 150);
  const { page, context, seen, box } = await openChat();
  await box.fill(`[[reply: ${LONG}]]`);
  await box.press('Enter');
  await page.waitForFunction(() => {
    const md = document.querySelector('grok-chat-widget').shadowRoot.querySelector('.gw-assistant[data-status="streaming"] .gw-md');
    return md && md.textContent.length > 20;
  });
  await page.reload();
  await page.getByRole('button', { name: 'Open chat' }).click();
  const reply = replies(page).last();
  await reply.waitFor();
  assert.equal(await reply.getAttribute('data-status'), 'interrupted');
  const kept = await reply.locator('.gw-md').textContent();
  assert.ok(kept.length > 20 && LONG.startsWith(kept.trim()), `kept "${kept}"`);
  assert.match(await reply.textContent(), /Interrupted/);
  await setDelays(stack, 0, 0);
  await page.getByRole('button', { name: 'Retry' }).click();
  await waitIdle(page);
  assert.equal(await userBubbles(page).count(), 1, 'the question once');
  assert.equal(await replies(page).count(), 1, 'the reply in place of the interrupted one');
  assert.equal(await replies(page).last().getAttribute('data-status'), 'done');
  assert.equal(await replies(page).last().textContent(), LONG);
  assert.deepEqual(seen.errors, []);
  await context.close();
});

test('Retry after a broken reply replaces it in place and sends the question once', async () => {
  await addFault(stack, { kind: 'mid_stream_error', after_events: 7 });
  const { page, context, box } = await openChat();
  const sent = [];
  page.on('request', (r) => { if (r.url().endsWith('/api/chat/stream')) sent.push(JSON.parse(r.postData()).message); });
  await box.fill('[[reply: First sentence here. Second sentence there. Third one.]]');
  await box.press('Enter');
  await page.getByRole('alert').waitFor();
  assert.equal(await replies(page).last().getAttribute('data-status'), 'failed');
  await page.getByRole('button', { name: 'Retry' }).click();
  await waitIdle(page);
  await page.getByRole('alert').waitFor({ state: 'detached' });
  assert.equal(await userBubbles(page).count(), 1, 'the question is not repeated');
  assert.equal(await replies(page).count(), 1, 'the broken reply is replaced');
  assert.equal(await replies(page).last().textContent(), 'First sentence here. Second sentence there. Third one.');
  assert.equal(sent.length, 2, 'sent once more, once');
  assert.equal(await focused(page), 'Message', 'focus is back in the message box');
  await context.close();
});

test('a message over 4,000 characters is neither cut nor sent; a counter shows near the limit', async () => {
  const { page, context, box } = await openChat();
  const counter = page.locator('grok-chat-widget .gw-count');
  await box.fill('x'.repeat(3000));
  assert.equal(await counter.count(), 0, 'no counter far from the limit');
  await box.fill('x'.repeat(4100));
  assert.equal((await box.inputValue()).length, 4100, 'nothing is cut');
  assert.match(await counter.textContent(), /4,100 \/ 4,000/);
  await box.press('Enter');
  await page.getByRole('alert').filter({ hasText: /too long/i }).waitFor();
  assert.equal(await userBubbles(page).count(), 0, 'not sent');
  assert.equal((await box.inputValue()).length, 4100, 'the text stays');
  await box.press('End');
  for (let i = 0; i < 100; i++) await box.press('Backspace');
  assert.match(await counter.textContent(), /4,000 \/ 4,000/);
  await box.press('Enter');
  await userBubbles(page).first().waitFor();
  await waitIdle(page);
  assert.equal(await box.inputValue(), '');
  await context.close();
});

test('on a phone the open panel is modal and Tab stays inside it', async () => {
  const { page, context } = await openChat({ width: 390, height: 844 });
  assert.equal(await page.getByRole('dialog').getAttribute('aria-modal'), 'true');
  const inside = () => page.evaluate(() => {
    const root = document.querySelector('grok-chat-widget').shadowRoot;
    return document.activeElement === root.host && !!root.activeElement?.closest('.gw-panel');
  });
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press('Tab');
    assert.ok(await inside(), `Tab ${i + 1}: focus stays in the panel (${await focused(page)})`);
  }
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press('Shift+Tab');
    assert.ok(await inside(), `Shift+Tab ${i + 1}: focus stays in the panel (${await focused(page)})`);
  }
  await context.close();
  // On a wide screen the panel leaves the page usable: not modal.
  const desktop = await openChat();
  assert.equal(await desktop.page.getByRole('dialog').getAttribute('aria-modal'), null);
  await desktop.context.close();
});

test('Enter while a reply streams queues the message and sends it after the reply', async () => {
  await setDelays(stack, 50, 60);
  const { page, context, box } = await openChat();
  await box.fill('[[reply: The first answer takes a while to arrive, word after word after word.]]');
  await box.press('Enter');
  await page.getByRole('button', { name: 'Stop generating' }).waitFor();
  await box.fill('[[reply: Second answer.]]');
  await box.press('Enter');
  assert.equal(await box.inputValue(), '', 'the queued message leaves the box');
  await page.locator('grok-chat-widget .gw-queued').filter({ hasText: /sends? after this reply/i }).waitFor();
  await replies(page).filter({ hasText: 'Second answer.' }).waitFor();
  await waitIdle(page);
  assert.equal(await userBubbles(page).count(), 2);
  assert.equal(await replies(page).first().textContent(), 'The first answer takes a while to arrive, word after word after word.');
  assert.equal(await page.locator('grok-chat-widget .gw-queued').count(), 0);
  await context.close();
});

test('New conversation can be undone for a few seconds', async () => {
  const { page, context, box } = await openChat();
  await box.fill('[[reply: Worth keeping.]]');
  await box.press('Enter');
  await waitIdle(page);
  await page.getByRole('button', { name: 'New conversation' }).click();
  assert.equal(await replies(page).count(), 0);
  await page.getByRole('button', { name: 'Undo' }).click();
  await replies(page).filter({ hasText: 'Worth keeping.' }).waitFor();
  await page.reload();
  await page.getByRole('button', { name: 'Open chat' }).click();
  await replies(page).filter({ hasText: 'Worth keeping.' }).waitFor();
  // Without Undo, the offer goes away and the conversation stays gone.
  await page.getByRole('button', { name: 'New conversation' }).click();
  await page.getByRole('button', { name: 'Undo' }).waitFor();
  await page.getByRole('button', { name: 'Undo' }).waitFor({ state: 'detached', timeout: 10000 });
  assert.equal(await replies(page).count(), 0);
  assert.equal(await stored(page), '');
  await context.close();
});

test('polish: Send looks disabled when empty, 44 px header buttons on touch, a quiet AI notice', async () => {
  const { page, context, box } = await openChat({ width: 390, height: 844, isMobile: true });
  const send = page.getByRole('button', { name: 'Send' });
  const opacity = () => send.evaluate((el) => Number(getComputedStyle(el).opacity));
  assert.ok(await opacity() < 0.6, 'empty: Send looks disabled');
  await box.fill('Something to send');
  assert.equal(await opacity(), 1, 'with text: Send looks enabled');
  for (const name of ['New conversation', 'Mute replies']) {
    const b = await page.locator(`grok-chat-widget .gw-header [aria-label="${name}"]`).boundingBox();
    assert.ok(b.width >= 44 && b.height >= 44, `${name}: ${JSON.stringify(b)}`);
  }
  const b = await page.locator('grok-chat-widget .gw-header [aria-label="Close chat"]').boundingBox();
  assert.ok(b.width >= 44 && b.height >= 44, `Close chat: ${JSON.stringify(b)}`);
  await page.getByText('AI assistant · answers may be wrong').waitFor();
  await assertOnScreen(page, '.gw-fine', 'the AI notice');
  await context.close();
});
