// The widget in the visitor's language (issue 16): the demo page in French, Japanese and
// Arabic found by the translated accessible names; the Arabic panel mirrored; mixed Hebrew and
// English messages in the right order; a site's own words from the proxy config; axe in
// English and Arabic, open and closed, desktop and phone; phone screenshots for the docs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { startStack, openPage, hostPage, screenshot, ARTIFACTS, ROOT } from './harness.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const VIEWPORT_META = '<meta name="viewport" content="width=device-width, initial-scale=1">';
const PHONE = { width: 390, height: 844, isMobile: true };
const DESKTOP = { width: 1280, height: 800 };

const site = (f) => readFileSync(join(ROOT, 'demo-site', f), 'utf8');

let stack;
before(async () => {
  stack = await startStack({
    // The demo page as the project ships it, its script tag pointed at the proxy.
    '/demo.html': () => ({ html: site('index.html').replace('<head>', `<head>${VIEWPORT_META}`) }),
    '/demo.js': (u) => ({ html: site('demo.js').replace('tag.src = "/widget.js"', `tag.src = "${u}/widget.js"`), headers: { 'content-type': 'text/javascript' } }),
    '/demo.css': () => ({ html: site('demo.css'), headers: { 'content-type': 'text/css' } }),
    '/': (u) => ({ html: hostPage(u, { head: VIEWPORT_META }) }),
    '/ar.html': (u) => ({ html: hostPage(u, { head: VIEWPORT_META, attrs: 'data-client-id="demo" data-lang="ar"' }) }),
    '/he-page.html': (u) => ({ html: hostPage(u, { head: VIEWPORT_META }).replace('<html lang="en">', '<html lang="he">') }),
    '/ar-right.html': (u) => ({ html: hostPage(u, { attrs: 'data-client-id="demo" data-lang="ar" data-position="right"' }) }),
    '/lea.html': (u) => ({ html: hostPage(u, { attrs: 'data-client-id="lea"' }) }),
  }, {
    clients: `
# A French shop with its own words for the launcher and the Send button.
[[clients]]
id = "lea"
allowed_origins = ["ORIGIN"]
model = "grok-4-1-fast-non-reasoning"
instructions = "Be brief."
voice_enabled = false
language = "fr"
[clients.strings.fr]
open_chat = "Parler à Léa"
send = "Envoyer à Léa"
`,
  });
});
after(async () => { await stack?.stop(); });

/// Opens `path` and the panel with the launcher named `open`; returns the message box.
async function openIn(path, open, size = PHONE, boxName = 'Message') {
  const { page, context, seen } = await openPage(stack, size);
  await page.goto(stack.hostOrigin + path);
  await page.getByRole('button', { name: open }).click();
  const box = page.getByRole('textbox', { name: boxName });
  await box.waitFor();
  return { page, context, seen, box };
}

async function converse(page, box, text, sendName) {
  await box.fill(text);
  await box.press('Enter');
  await page.getByRole('button', { name: sendName }).waitFor();
  await page.locator('grok-chat-widget .gw-assistant[data-status="done"]').last().waitFor();
}

/// Copies an artifact screenshot into docs/screenshots.
function toDocs(name) {
  copyFileSync(join(ARTIFACTS, `${name}.png`), join(ROOT, 'docs', 'screenshots', `${name}.png`));
}

test('the demo page in French is found by its French names, and speaks French', async () => {
  const { page, context, seen, box } = await openIn('/demo.html?lang=fr', 'Ouvrir le chat');
  assert.equal(await box.getAttribute('placeholder'), 'Écrivez un message…');
  for (const name of ['Fermer le chat', 'Nouvelle conversation', 'Couper le son des réponses', 'Saisie vocale', 'Mode conversation', 'Envoyer']) {
    await page.getByRole('button', { name, exact: true }).first().waitFor();
  }
  await page.getByText('Assistant IA · les réponses peuvent être fausses').waitFor();
  assert.equal(await page.locator('grok-chat-widget .gw-app').getAttribute('lang'), 'fr');
  const turn = page.waitForRequest((r) => r.url().endsWith('/api/chat/stream'));
  await converse(page, box, 'Bonjour ! [[reply: Bonjour, je suis là pour vous aider avec votre commande.]]', 'Envoyer');
  await screenshot(page, 'i18n-fr-phone');
  toDocs('i18n-fr-phone');
  // The turn carried the language, for the server's speech.
  assert.equal((await turn).postDataJSON().language, 'fr');
  const asked = seen.requests.filter((u) => u.includes('/api/clients/demo?'));
  assert.ok(asked.some((u) => u.includes('lang=fr')), asked.join(' '));
  assert.deepEqual(seen.errors, []);
  await context.close();
});

test('the demo page in Japanese is found by its Japanese names', async () => {
  const { page, context, box } = await openIn('/demo.html?lang=ja', 'チャットを開く', PHONE, 'メッセージ');
  assert.equal(await box.getAttribute('placeholder'), 'メッセージを入力…');
  for (const name of ['チャットを閉じる', '新しい会話', '音声入力', '送信']) {
    await page.getByRole('button', { name, exact: true }).first().waitFor();
  }
  await converse(page, box, 'こんにちは [[reply: こんにちは！ご注文についてお手伝いします。何をお探しですか？]]', '送信');
  await screenshot(page, 'i18n-ja-phone');
  toDocs('i18n-ja-phone');
  await context.close();
});

test('the Arabic panel mirrors: launcher on the left, composer reversed, dir="rtl"', async () => {
  const { page, context } = await openPage(stack, DESKTOP);
  await page.goto(stack.hostOrigin + '/demo.html?lang=ar');
  const launcher = page.getByRole('button', { name: 'فتح المحادثة' });
  await launcher.waitFor();
  const at = await launcher.boundingBox();
  assert.ok(at.x + at.width < 200, `launcher on the left (x=${at.x})`);
  await launcher.click();
  const panel = page.getByRole('dialog');
  await panel.waitFor();
  assert.equal(await panel.getAttribute('dir'), 'rtl');
  const box = page.getByRole('textbox', { name: 'الرسالة' });
  const send = page.getByRole('button', { name: 'إرسال', exact: true });
  const mic = page.getByRole('button', { name: 'الإدخال الصوتي' });
  const [b, s, m] = [await box.boundingBox(), await send.boundingBox(), await mic.boundingBox()];
  assert.ok(s.x < m.x && m.x < b.x, `Send, then the microphone, then the box from the left (${s.x}, ${m.x}, ${b.x})`);
  const p = await panel.boundingBox();
  assert.ok(p.x < 200, `the panel opens on the left too (x=${p.x})`);
  // The close button is at the header's left end (its start in Arabic).
  const close = await page.getByRole('button', { name: 'إغلاق المحادثة' }).first().boundingBox();
  const title = await page.locator('grok-chat-widget .gw-title').boundingBox();
  assert.ok(close.x < title.x, 'header reversed');
  await context.close();
});

test('data-position keeps the launcher where the site put it, even in Arabic', async () => {
  const { page, context } = await openPage(stack, DESKTOP);
  await page.goto(stack.hostOrigin + '/ar-right.html');
  const at = await page.getByRole('button', { name: 'فتح المحادثة' }).boundingBox();
  assert.ok(at.x > 1000, `launcher on the right (x=${at.x})`);
  await context.close();
});

/// Where each of `words` starts on screen in the last `selector` bubble.
function wordsAt(page, selector, words) {
  return page.evaluate(([selector, words]) => {
    const bubbles = document.querySelector('grok-chat-widget').shadowRoot.querySelectorAll(selector);
    const bubble = bubbles[bubbles.length - 1];
    const walker = document.createTreeWalker(bubble, NodeFilter.SHOW_TEXT);
    const out = { direction: getComputedStyle(bubble).direction };
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      for (const w of words) {
        const i = n.data.indexOf(w);
        if (i < 0 || out[w] !== undefined) continue;
        const r = document.createRange();
        r.setStart(n, i);
        r.setEnd(n, i + w.length);
        out[w] = r.getBoundingClientRect().left;
      }
    }
    return out;
  }, [selector, words]);
}

test('mixed Hebrew and English messages each read in their own direction', async () => {
  // Arabic interface: the English reply still reads left to right; the Hebrew question right
  // to left (dir="auto" on every message).
  const { page, context, box } = await openIn('/ar.html', 'فتح المحادثة', DESKTOP, 'الرسالة');
  await converse(page, box, 'שלום world [[reply: Hello עולם, this reply starts in English.]]', 'إرسال');
  const user = await wordsAt(page, '.gw-user', ['שלום', 'world']);
  assert.equal(user.direction, 'rtl');
  assert.ok(user['שלום'] > user.world, `Hebrew first, so on the right: ${JSON.stringify(user)}`);
  const reply = await wordsAt(page, '.gw-assistant[data-status]', ['Hello', 'עולם']);
  assert.equal(reply.direction, 'ltr');
  assert.ok(reply.Hello < reply['עולם'], `English first, so on the left: ${JSON.stringify(reply)}`);
  await context.close();
});

test('a Hebrew page gets the Hebrew interface from <html lang>', async () => {
  const { page, context } = await openIn('/he-page.html', 'פתיחת הצ\'אט', DESKTOP, 'הודעה');
  assert.equal(await page.getByRole('dialog').getAttribute('dir'), 'rtl');
  await context.close();
});

test('the Arabic panel at phone size, for the docs', async () => {
  const { page, context, box } = await openIn('/demo.html?lang=ar', 'فتح المحادثة', PHONE, 'الرسالة');
  await converse(page, box, 'مرحبا [[reply: مرحبًا! كيف يمكنني مساعدتك في طلبك اليوم؟]]', 'إرسال');
  await screenshot(page, 'i18n-ar-phone');
  toDocs('i18n-ar-phone');
  await context.close();
});

test('a site\'s own words from [clients.strings] show up', async () => {
  const { page, context } = await openIn('/lea.html', 'Parler à Léa', DESKTOP);
  await page.getByRole('button', { name: 'Envoyer à Léa' }).waitFor();
  // The rest is the built-in French of the client's language.
  await page.getByRole('button', { name: 'Nouvelle conversation' }).waitFor();
  await page.getByRole('dialog', { name: 'Discutez avec nous' }).waitFor();
  await context.close();
});

for (const [lang, path, open] of [['en', '/', 'Open chat'], ['ar', '/ar.html', 'فتح المحادثة']]) {
  for (const [sizeName, size] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    test(`axe finds no WCAG 2.2 AA violation in ${lang} at ${sizeName} size, closed and open`, async () => {
      const { page, context } = await openPage(stack, size);
      await page.goto(stack.hostOrigin + path);
      const launcher = page.getByRole('button', { name: open });
      await launcher.waitFor();
      await page.addScriptTag({ path: AXE });
      const check = async (state) => {
        const result = await page.evaluate(() => window.axe.run(
          { include: [['grok-chat-widget']] },
          { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } },
        ));
        const violations = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
        assert.deepEqual(violations, [], `${lang} ${sizeName} ${state}`);
        assert.ok(result.passes.length > 3, 'axe ran its rules');
      };
      await check('closed');
      await launcher.click();
      await page.getByRole('dialog').waitFor();
      await check('open');
      await context.close();
    });
  }
}
