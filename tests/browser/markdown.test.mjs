// Replies in the Markdown models write (issue 21): each construct as its element (found by
// role, as a screen reader finds it), the copy button, wide tables scrolling under the
// keyboard, no block changing shape more than once while it streams, the streamed render equal
// to the render at once (after a reload), axe finding nothing, and screenshots at phone and
// desktop size.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { startStack, openPanel, hostPage, setDelays, resetFake, screenshot, ARTIFACTS, ROOT } from './harness.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const VIEWPORT_META = '<meta name="viewport" content="width=device-width, initial-scale=1">';

const CODE = 'def greet(name):\n    return f"Hello, {name}!"  # friendly';
const REPLY = `### Launch plan

| Step | Owner | Due |
|:--|:--:|--:|
| Write the announcement | Ana | Mon |
| Record the demo | Ben | Wed |

1. Prepare
   - draft the post
   - check the **numbers**
2. Ship it

- [x] Tests pass
- [ ] Docs updated

> Ship small, ship ~~rarely~~ often.

\`\`\`python
${CODE}
\`\`\``;

const WIDE = `| Language | Typing | First appeared | Memory management | Typical use | Package manager |
|---|---|---|---|---|---|
| Rust | static, strong | 2010 | ownership and borrowing | systems, web back ends, CLI tools | cargo |
| Python | dynamic, strong | 1991 | reference counting + GC | scripting, data science, ML | pip |`;

let stack;
before(async () => {
  stack = await startStack({ '/': (u) => ({ html: hostPage(u, { head: VIEWPORT_META }) }) });
});
after(async () => { await stack?.stop(); });
beforeEach(async () => { await resetFake(stack); });

const lastReply = (page) => page.locator('grok-chat-widget .gw-assistant[data-status]').last();
const waitIdle = (page) => page.getByRole('button', { name: 'Send' }).waitFor();

const openChat = (opts) => openPanel(stack, opts);

async function ask(page, box, text) {
  await box.fill(`[[reply: ${text}]]`);
  await box.press('Enter');
  await waitIdle(page);
}

/// The reply's elements, tags and text, to compare two renders.
const structure = (page) => page.evaluate(() => {
  const md = [...document.querySelector('grok-chat-widget').shadowRoot.querySelectorAll('.gw-assistant .gw-md')].pop();
  return md.innerHTML;
});

test('a reply renders each construct as its element, found by role', async () => {
  const { page, context, seen, box } = await openChat();
  await ask(page, box, REPLY);
  const reply = lastReply(page);
  assert.equal(await reply.getByRole('heading', { level: 3, name: 'Launch plan' }).count(), 1);
  const table = reply.getByRole('table');
  assert.equal(await table.count(), 1);
  assert.deepEqual(await table.getByRole('columnheader').allTextContents(), ['Step', 'Owner', 'Due']);
  assert.deepEqual(await table.getByRole('row').nth(1).getByRole('cell').allTextContents(), ['Write the announcement', 'Ana', 'Mon']);
  const aligns = await table.getByRole('cell').evaluateAll((cells) => cells.slice(0, 3).map((c) => getComputedStyle(c).textAlign));
  assert.deepEqual(aligns, ['left', 'center', 'right']);
  // The numbered list, the list nested in its first item, the task list.
  assert.equal(await reply.getByRole('list').count(), 3);
  const nested = reply.getByRole('listitem').filter({ hasText: 'Prepare' }).getByRole('list');
  assert.deepEqual(await nested.getByRole('listitem').allTextContents(), ['draft the post', 'check the numbers']);
  const tasks = reply.getByRole('listitem').filter({ hasText: 'Tests pass' });
  assert.equal(await tasks.count(), 1);
  // The box is drawn, and its meaning is in words for screen readers.
  assert.equal(await tasks.textContent(), 'Done: Tests pass');
  assert.equal(await reply.getByRole('listitem').filter({ hasText: 'Docs updated' }).textContent(), 'To do: Docs updated');
  assert.equal(await reply.getByRole('blockquote').textContent(), 'Ship small, ship rarely often.');
  assert.equal(await reply.getByRole('blockquote').getByRole('deletion').textContent(), 'rarely');
  const code = reply.getByRole('code');
  assert.equal(await code.count(), 1);
  assert.equal(await code.textContent(), CODE);
  assert.equal(await reply.locator('.gw-code-head').textContent(), 'pythonCopy code');
  assert.equal(await reply.getByRole('button', { name: 'Copy code' }).count(), 1);
  assert.deepEqual(seen.errors, []);
  await context.close();
});

test('the copy button copies the code with the keyboard and says Copied', async () => {
  const { page, context, box } = await openChat();
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.hostOrigin });
  await ask(page, box, REPLY);
  const button = lastReply(page).getByRole('button', { name: 'Copy code' });
  await button.focus();
  await page.keyboard.press('Enter');
  await lastReply(page).getByRole('button', { name: 'Copied' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), CODE);
  // It says so for a moment, then offers to copy again.
  await lastReply(page).getByRole('button', { name: 'Copy code' }).waitFor({ timeout: 5000 });
  await context.close();
});

test('axe finds no accessibility violation in such a reply', async () => {
  const { page, context, box } = await openChat();
  await ask(page, box, `${REPLY}\n\nSee [the guide](https://example.com/guide).\n\n---\n\n${WIDE}`);
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() => window.axe.run({ include: [['grok-chat-widget']] }));
  const violations = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  assert.deepEqual(violations, []);
  assert.ok(result.passes.length > 10, 'axe ran its rules');
  await context.close();
});

test('a wide table scrolls sideways inside the bubble, with a visible keyboard focus', async () => {
  const { page, context, box } = await openChat({ width: 390, height: 844, isMobile: true });
  await ask(page, box, `A comparison:\n\n${WIDE}\n\nThat is all.`);
  const region = lastReply(page).getByRole('group', { name: 'Scrollable table' });
  const fit = await region.evaluate((el) => {
    const bubble = el.closest('.gw-msg').getBoundingClientRect();
    const r = el.getBoundingClientRect();
    return { wider: el.scrollWidth > el.clientWidth, inside: r.left >= bubble.left && r.right <= bubble.right, page: document.documentElement.scrollWidth };
  });
  assert.ok(fit.wider, 'the table is wider than its box');
  assert.ok(fit.inside, 'the box stays inside the bubble');
  assert.ok(fit.page <= 390, `the page does not scroll sideways (${fit.page})`);
  // Tab to it from the element before, as a keyboard user would.
  await lastReply(page).getByRole('group', { name: 'Scrollable table' }).evaluate((el) => el.focus({ focusVisible: true }));
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Tab');
  const focus = await region.evaluate((el) => ({
    focused: el.getRootNode().activeElement === el,
    outline: getComputedStyle(el).outlineStyle,
  }));
  assert.deepEqual(focus, { focused: true, outline: 'solid' });
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => {
    const el = document.querySelector('grok-chat-widget').shadowRoot.querySelector('.gw-assistant:last-child .gw-table, .gw-table');
    return el.scrollLeft > 0;
  });
  await screenshot(page, 'mobile-390x844-wide-table');
  await context.close();
});

test('while it streams no block changes shape more than once, and the end equals a fresh render', async () => {
  await setDelays(stack, 50, 25);
  const { page, context, box } = await openChat();
  // Record the kinds of the reply's top-level elements after every change.
  await page.evaluate(() => {
    window.__shapes = [];
    const log = document.querySelector('grok-chat-widget').shadowRoot.querySelector('.gw-log');
    const kind = (el) => el.tagName.toLowerCase() + (el.className ? `.${el.className}` : '');
    new MutationObserver(() => {
      const md = [...log.querySelectorAll('.gw-assistant .gw-md')].pop();
      if (md) window.__shapes.push([...md.children].map(kind));
    }).observe(log, { childList: true, subtree: true, characterData: true });
  });
  await box.fill(`[[reply: ${REPLY}]]`);
  await box.press('Enter');
  await waitIdle(page);
  const shapes = await page.evaluate(() => window.__shapes);
  assert.ok(shapes.length > 20, `the reply streamed (${shapes.length} renders)`);
  const changes = [];
  for (const s of shapes) {
    s.forEach((k, i) => {
      changes[i] ??= [];
      if (changes[i].at(-1) !== k) changes[i].push(k);
    });
  }
  changes.forEach((kinds, i) => assert.ok(kinds.length <= 2, `block ${i} went ${kinds.join(' → ')}`));
  const streamed = await structure(page);
  await page.reload();
  await page.getByRole('button', { name: 'Open chat' }).click();
  await lastReply(page).getByRole('table').waitFor();
  assert.equal(await structure(page), streamed, 'the streamed render is the render of the whole text');
  await context.close();
});

test('screenshots at phone and desktop size', async () => {
  for (const [name, opts] of [
    ['phone-390x844-markdown-reply', { width: 390, height: 844, isMobile: true }],
    ['desktop-1280x800-markdown-reply', { width: 1280, height: 800 }],
  ]) {
    const { page, context, box } = await openChat(opts);
    await ask(page, box, REPLY);
    // The start of the reply, where its heading and table are.
    await lastReply(page).evaluate((el) => el.scrollIntoView({ block: 'start' }));
    const heading = lastReply(page).getByRole('heading', { name: 'Launch plan' });
    const box2 = await heading.boundingBox();
    assert.ok(box2 && box2.y >= 0 && box2.y + box2.height <= opts.height, `${name}: the heading is on screen`);
    await screenshot(page, name);
    if (process.env.UPDATE_DOCS_SCREENSHOTS) {
      copyFileSync(join(ARTIFACTS, `${name}.png`), join(ROOT, 'docs/screenshots', `${name}.png`));
    }
    await context.close();
  }
});
