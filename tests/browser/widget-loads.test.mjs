// The widget loads from one <script> tag on a page of another origin and opens.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, openPage, screenshot, CANARY_KEY, hostPage } from './harness.mjs';

let stack;
before(async () => {
  stack = await startStack({
    '/': (u) => ({ html: hostPage(u) }),
    '/queued.html': (u) => ({
      html: hostPage(u, {
        body: `<script>window.__events = [];
          document.addEventListener('grokwidget:opened', () => window.__events.push('opened'));</script>`,
      }),
    }),
  });
});
after(async () => { await stack?.stop(); });

test('the widget loads cross-origin from one script tag and says hello', async () => {
  const { page, seen, context } = await openPage(stack);
  await page.goto(stack.hostOrigin + '/');
  const launcher = page.getByRole('button', { name: 'Open chat' });
  await launcher.click();
  await page.getByText('Hello from the test proxy').waitFor();
  const dialog = page.getByRole('dialog', { name: 'Test Chat' });
  await dialog.waitFor();
  await screenshot(page, 'desktop-1280x800-open');
  assert.deepEqual(seen.errors, []);
  // Everything stayed on this machine.
  for (const url of seen.requests) assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\//, url);
  // The wasm and glue were fetched from the proxy's origin, not the page's.
  assert.ok(seen.requests.some((u) => u.startsWith(stack.proxyUrl + '/widget/') && u.endsWith('.wasm')));
  // The API key is in nothing the page received.
  for (const b of seen.bodies) assert.ok(!b.includes(CANARY_KEY) && !b.includes(CANARY_KEY.slice(4, 16)));
  await context.close();
});

test('the widget lives in an open shadow root on its own element', async () => {
  const { page, context } = await openPage(stack);
  await page.goto(stack.hostOrigin + '/');
  await page.getByRole('button', { name: 'Open chat' }).waitFor();
  const info = await page.evaluate(() => {
    const host = document.querySelector('grok-chat-widget');
    return { hasShadow: !!host?.shadowRoot, mode: host?.shadowRoot?.mode, lightChildren: host?.children.length };
  });
  assert.deepEqual(info, { hasShadow: true, mode: 'open', lightChildren: 0 });
  await context.close();
});

test('Escape closes the panel and gives focus back to the launcher', async () => {
  const { page, context } = await openPage(stack);
  await page.goto(stack.hostOrigin + '/');
  await page.getByRole('button', { name: 'Open chat' }).click();
  await page.getByRole('dialog').waitFor();
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'detached' });
  const focused = await page.evaluate(() => document.querySelector('grok-chat-widget').shadowRoot.activeElement?.getAttribute('aria-label'));
  assert.equal(focused, 'Open chat');
  await context.close();
});

test('host-page API calls made before the widget loaded are replayed', async () => {
  const { page, context } = await openPage(stack);
  // Call open() the moment the loader (an async script, so possibly after DOMContentLoaded)
  // sets up window.GrokWidget: certainly before the widget itself is up.
  await context.addInitScript(() => {
    let api;
    Object.defineProperty(window, 'GrokWidget', {
      configurable: true,
      get: () => api,
      set: (v) => {
        api = v;
        // Once the loader has added its methods (right after this assignment).
        if (v && v.__q) {
          queueMicrotask(() => {
            window.__early = !document.querySelector('grok-chat-widget');
            v.open();
          });
        }
      },
    });
  });
  await page.goto(stack.hostOrigin + '/queued.html', { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => window.__early !== undefined);
  assert.equal(await page.evaluate(() => window.__early), true, 'open() was called before the widget was up');
  await page.getByRole('dialog', { name: 'Test Chat' }).waitFor();
  assert.deepEqual(await page.evaluate(() => window.__events), ['opened']);
  await context.close();
});

test('on a phone-sized screen the open panel fills the viewport', async () => {
  const { page, context } = await openPage(stack, { width: 390, height: 844 });
  await page.goto(stack.hostOrigin + '/');
  await page.getByRole('button', { name: 'Open chat' }).click();
  const box = await page.getByRole('dialog').boundingBox();
  await screenshot(page, 'mobile-390x844-open');
  assert.equal(Math.round(box.width), 390);
  assert.equal(Math.round(box.height), 844);
  await context.close();
});
