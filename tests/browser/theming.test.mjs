// Theming (issue 16): the --grokwidget-* custom properties and ::part() names change the
// rendered colours (computed style), also under the hostile-CSS page; dark mode from
// prefers-color-scheme unless data-theme says otherwise; two widgets on one page, each with
// its own element, state and storage, addressed by GrokWidget.get(clientId).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, openPage, hostPage, screenshot, ROOT } from './harness.mjs';

const site = (f) => readFileSync(join(ROOT, 'demo-site', f), 'utf8');
const BRAND = `<style>
  grok-chat-widget {
    --grokwidget-accent: #0a7d32; --grokwidget-on-accent: #ffffff; --grokwidget-radius: 4px;
    --grokwidget-font-family: Georgia, serif; --grokwidget-panel-width: 420px;
    --grokwidget-background: #fffbeb; --grokwidget-text: #1c1917;
  }
  grok-chat-widget::part(launcher) { background: rgb(200, 0, 100); }
  grok-chat-widget::part(header) { background: rgb(0, 0, 128); }
  grok-chat-widget::part(button send) { border-radius: 0; }
</style>`;

let stack;
before(async () => {
  stack = await startStack({
    '/brand.html': (u) => ({ html: hostPage(u, { head: BRAND }) }),
    '/hostile.html': (u) => ({
      html: site('hostile.html').replace('src="/widget.js"', `src="${u}/widget.js"`).replace('</head>', `${BRAND}</head>`),
    }),
    '/hostile.css': () => ({ html: site('hostile.css'), headers: { 'content-type': 'text/css' } }),
    '/demo.css': () => ({ html: site('demo.css'), headers: { 'content-type': 'text/css' } }),
    '/': (u) => ({ html: hostPage(u) }),
    '/light.html': (u) => ({ html: hostPage(u, { attrs: 'data-client-id="demo" data-theme="light"' }) }),
    '/dark.html': (u) => ({ html: hostPage(u, { attrs: 'data-client-id="demo" data-theme="dark"' }) }),
    // Two tags, two clients; the page calls the second one's API before the code is loaded.
    '/two.html': (u) => ({
      html: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Two</title></head>
<body><main><h1>Sales and support</h1></main>
<script src="${u}/widget.js" data-client-id="demo"></script>
<script src="${u}/widget.js" data-client-id="quiet" data-position="left"></script>
<script>GrokWidget.get('quiet').open();</script></body></html>`,
    }),
  });
});
after(async () => { await stack?.stop(); });

/// Computed styles of the widget's parts, read inside its shadow root.
function styles(page) {
  return page.evaluate(() => {
    const root = document.querySelector('grok-chat-widget').shadowRoot;
    const css = (sel) => getComputedStyle(root.querySelector(sel));
    return {
      launcher: css('.gw-launcher').backgroundColor,
      header: css('.gw-header').backgroundColor,
      send: css('.gw-send').backgroundColor,
      sendRadius: css('.gw-send').borderRadius,
      user: root.querySelector('.gw-user') && css('.gw-user').backgroundColor,
      panel: css('.gw-panel').backgroundColor,
      panelWidth: css('.gw-panel').width,
      panelRadius: css('.gw-panel').borderRadius,
      font: css('.gw-app').fontFamily,
      text: css('.gw-input').color,
    };
  });
}

const BRANDED = {
  launcher: 'rgb(200, 0, 100)',
  header: 'rgb(0, 0, 128)',
  send: 'rgb(10, 125, 50)',
  sendRadius: '0px',
  panel: 'rgb(255, 251, 235)',
  panelWidth: '420px',
  panelRadius: '4px',
  font: 'Georgia, serif',
  text: 'rgb(28, 25, 23)',
};

for (const path of ['/brand.html', '/hostile.html']) {
  test(`custom properties and ::part() restyle the widget (${path})`, async () => {
    const { page, context } = await openPage(stack);
    await page.goto(stack.hostOrigin + path);
    await page.getByRole('button', { name: 'Open chat' }).click();
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('Hello');
    await box.press('Enter');
    await page.locator('grok-chat-widget .gw-assistant[data-status="done"]').waitFor();
    const got = await styles(page);
    assert.equal(got.user, 'rgb(10, 125, 50)', 'the accent reaches the visitor\'s bubbles');
    delete got.user;
    assert.deepEqual(got, BRANDED);
    await screenshot(page, `theming${path.replace(/\W/g, '-')}`);
    await context.close();
  });
}

test('dark mode follows prefers-color-scheme unless data-theme says otherwise', async () => {
  const panelOf = async (path, colorScheme) => {
    const { page, context } = await openPage(stack);
    await page.emulateMedia({ colorScheme });
    await page.goto(stack.hostOrigin + path);
    await page.getByRole('button', { name: 'Open chat' }).click();
    await page.getByRole('dialog').waitFor();
    const got = await styles(page);
    if (path === '/' && colorScheme === 'dark') await screenshot(page, 'theming-dark');
    await context.close();
    return [got.panel, got.text];
  };
  const light = ['rgb(255, 255, 255)', 'rgb(17, 24, 39)'];
  const dark = ['rgb(17, 24, 39)', 'rgb(243, 244, 246)'];
  assert.deepEqual(await panelOf('/', 'light'), light);
  assert.deepEqual(await panelOf('/', 'dark'), dark);
  assert.deepEqual(await panelOf('/light.html', 'dark'), light);
  assert.deepEqual(await panelOf('/dark.html', 'light'), dark);
});

test('reduced motion turns the typing dots and launcher animation off', async () => {
  const { page, context } = await openPage(stack);
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await page.goto(stack.hostOrigin + '/');
  const launcher = page.getByRole('button', { name: 'Open chat' });
  await launcher.waitFor();
  const transition = await launcher.evaluate((el) => getComputedStyle(el).transitionDuration);
  assert.equal(transition, '0s');
  await context.close();
});

test('two widgets on one page keep separate conversations, addressed by GrokWidget.get', async () => {
  const { page, context } = await openPage(stack);
  await page.goto(stack.hostOrigin + '/two.html');
  // Queued before the code loaded: get('quiet').open() opened the second one only.
  const quiet = page.getByRole('dialog', { name: 'Quiet Chat' });
  await quiet.waitFor();
  assert.equal(await page.getByRole('dialog', { name: 'Test Chat' }).count(), 0);
  assert.equal(await page.locator('grok-chat-widget').count(), 2);
  await quiet.getByRole('textbox', { name: 'Message' }).fill('Only for the quiet one');
  await quiet.getByRole('textbox', { name: 'Message' }).press('Enter');
  await quiet.locator('.gw-assistant[data-status="done"]').waitFor();
  // The single-widget calls still address the first tag's widget.
  await page.evaluate(() => { GrokWidget.get('quiet').close(); GrokWidget.open(); });
  const demo = page.getByRole('dialog', { name: 'Test Chat' });
  await demo.waitFor();
  assert.equal(await demo.getByText('Only for the quiet one').count(), 0);
  await demo.getByRole('textbox', { name: 'Message' }).fill('For the demo one');
  await demo.getByRole('textbox', { name: 'Message' }).press('Enter');
  await demo.locator('.gw-assistant[data-status="done"]').waitFor();
  const stored = await page.evaluate(() => [localStorage.getItem('grokwidget:v1:demo'), localStorage.getItem('grokwidget:v1:quiet')]);
  assert.ok(stored[0].includes('For the demo one') && !stored[0].includes('Only for the quiet one'), stored[0]);
  assert.ok(stored[1].includes('Only for the quiet one') && !stored[1].includes('For the demo one'), stored[1]);
  // After a reload each finds its own conversation again.
  await page.reload();
  await page.evaluate(() => GrokWidget.get('demo').open());
  await page.getByRole('dialog', { name: 'Test Chat' }).getByText('For the demo one', { exact: true }).waitFor();
  assert.equal(await page.getByRole('dialog', { name: 'Test Chat' }).getByText('Only for the quiet one', { exact: true }).count(), 0);
  assert.equal(await page.evaluate(() => GrokWidget.get('nobody')), undefined);
  await context.close();
});
