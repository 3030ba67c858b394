// The demo site's QA pages: hostile CSS, a strict CSP, a long page on a phone. Each is served
// from its own origin with the one script tag pointing at the proxy, as on a customer's site.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, openPage, screenshot, ROOT } from './harness.mjs';

const site = (f) => readFileSync(join(ROOT, 'demo-site', f), 'utf8');
/// A demo-site page with its script tag and relative links pointed at the right origins.
const demoPage = (file, proxyUrl) =>
  site(file).replace('src="/widget.js"', `src="${proxyUrl}/widget.js"`);

let stack;
before(async () => {
  stack = await startStack({
    '/hostile.html': (u) => ({ html: demoPage('hostile.html', u) }),
    '/hostile.css': () => ({ html: site('hostile.css'), headers: { 'content-type': 'text/css' } }),
    '/demo.css': () => ({ html: site('demo.css'), headers: { 'content-type': 'text/css' } }),
    // The policy of docs/embedding.md, as a header naming the proxy (the page's meta tag,
    // written for the demo where the proxy is 'self', is dropped).
    '/csp.html': (u) => ({
      html: demoPage('csp.html', u).replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, ''),
      headers: {
        'content-security-policy': `default-src 'none'; script-src ${u} 'wasm-unsafe-eval'; ` +
          `connect-src ${u}; media-src data:; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'`,
      },
    }),
    '/long.html': (u) => ({ html: demoPage('long.html', u) }),
  });
});
after(async () => { await stack?.stop(); });

async function converse(page, text) {
  await page.getByRole('button', { name: 'Open chat' }).click();
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
  await page.getByRole('button', { name: 'Send' }).waitFor();
  return page.locator('grok-chat-widget .gw-assistant[data-status]').last();
}

test('on a page with hostile CSS the widget looks and works the same', async () => {
  const { page, context, seen } = await openPage(stack);
  await page.goto(stack.hostOrigin + '/hostile.html');
  const reply = await converse(page, '[[reply: Still **readable** here.]]');
  assert.equal(await reply.textContent(), 'Still readable here.');
  const look = await page.evaluate(() => {
    const root = document.querySelector('grok-chat-widget').shadowRoot;
    const cs = (sel) => getComputedStyle(root.querySelector(sel));
    const launcher = root.querySelector('.gw-launcher').getBoundingClientRect();
    const panel = root.querySelector('.gw-panel').getBoundingClientRect();
    // What is on top at the panel's centre and at the launcher: the widget, not the page.
    const top = (r) => document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2)?.tagName;
    return {
      // offsetWidth: the bounding box grows on hover (the launcher scales up a little).
      launcher: [root.querySelector('.gw-launcher').offsetWidth, root.querySelector('.gw-launcher').offsetHeight],
      panelWidth: Math.round(panel.width),
      font: cs('.gw-input').fontSize,
      family: cs('.gw-app').fontFamily,
      transform: cs('.gw-msg').textTransform,
      sendDisplay: cs('.gw-send').display,
      onTop: [top(panel), top(launcher)],
    };
  });
  assert.deepEqual(look.launcher, [56, 56]);
  assert.equal(look.panelWidth, 380);
  assert.equal(look.font, '16px');
  assert.doesNotMatch(look.family, /Comic/);
  assert.equal(look.transform, 'none');
  assert.notEqual(look.sendDisplay, 'none');
  assert.deepEqual(look.onTop, ['GROK-CHAT-WIDGET', 'GROK-CHAT-WIDGET']);
  await screenshot(page, 'desktop-1280x800-hostile');
  assert.deepEqual(seen.errors, []);
  await context.close();
});

test('on a page with a strict CSP the widget loads, styles itself and chats', async () => {
  const { page, context, seen } = await openPage(stack);
  await page.goto(stack.hostOrigin + '/csp.html');
  const reply = await converse(page, '[[reply: CSP is fine.]]');
  assert.equal(await reply.textContent(), 'CSP is fine.');
  const width = await page.evaluate(() =>
    getComputedStyle(document.querySelector('grok-chat-widget').shadowRoot.querySelector('.gw-launcher')).width);
  assert.equal(width, '56px', 'the widget is styled');
  const violations = seen.console.filter((l) => /Content Security Policy|Refused to/i.test(l));
  assert.deepEqual(violations, []);
  assert.deepEqual(seen.errors, []);
  await screenshot(page, 'desktop-1280x800-csp');
  await context.close();
});

test('on a long page on a phone the launcher stays put and the panel covers the screen', async () => {
  const { page, context } = await openPage(stack, { width: 390, height: 844 });
  await page.goto(stack.hostOrigin + '/long.html');
  await page.getByRole('button', { name: 'Open chat' }).waitFor();
  await page.mouse.wheel(0, 5000);
  await page.waitForTimeout(200);
  const launcher = await page.getByRole('button', { name: 'Open chat' }).boundingBox();
  assert.ok(launcher.x < 100 && launcher.y > 700, `launcher at bottom left: ${JSON.stringify(launcher)}`);
  await screenshot(page, 'mobile-390x844-long-page');
  await converse(page, 'Hello from a phone');
  const dialog = await page.getByRole('dialog').boundingBox();
  assert.deepEqual([dialog.x, dialog.y, Math.round(dialog.width), Math.round(dialog.height)], [0, 0, 390, 844]);
  await screenshot(page, 'mobile-390x844-long-page-open');
  await context.close();
});
