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
