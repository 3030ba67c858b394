// Images in the conversation: attach by button, paste and drop; a large photo is scaled under
// the proxy's cap before upload; the fake describes what it decoded (size, format, mean
// colour); a reload keeps thumbnails, never the full image; keyboard-only attach and remove.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, openPage, screenshot, hostPage, resetFake } from './harness.mjs';

const CAP = 1024 * 1024;

let stack;
before(async () => {
  stack = await startStack({
    '/': (u) => ({ html: hostPage(u, { attrs: 'data-client-id="vision"' }) }),
    '/text': (u) => ({ html: hostPage(u) }),
  });
});
after(async () => { await stack?.stop(); });
beforeEach(async () => { await resetFake(stack); });

async function openChat(path = '/') {
  const { page, context, seen } = await openPage(stack);
  const posted = [];
  page.on('request', (r) => { if (r.url().endsWith('/api/chat/stream')) posted.push(JSON.parse(r.postData())); });
  await page.goto(stack.hostOrigin + path);
  await page.getByRole('button', { name: 'Open chat' }).click();
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.waitFor();
  return { page, context, seen, box, posted };
}

/// An image drawn in the page: one colour, or a "photo" (gradients and noise, which do not
/// compress); returned as base64 of the encoded file.
async function makeImage(page, { w, h, type = 'image/png', rgb = [200, 30, 60], photo = false, quality = 0.95 }) {
  return page.evaluate(async ({ w, h, type, rgb, photo, quality }) => {
    const c = new OffscreenCanvas(w, h);
    const ctx = c.getContext('2d');
    if (photo) {
      const img = ctx.createImageData(w, h);
      let x = 0x9e3779b9;
      for (let i = 0; i < w * h; i++) {
        x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
        const n = (x & 63) - 32;
        const px = i % w, py = (i / w) | 0;
        img.data[i * 4] = (px * 255 / w + n) & 255;
        img.data[i * 4 + 1] = (py * 255 / h + n) & 255;
        img.data[i * 4 + 2] = (128 + n) & 255;
        img.data[i * 4 + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
    } else {
      ctx.fillStyle = `rgb(${rgb.join(',')})`;
      ctx.fillRect(0, 0, w, h);
    }
    const blob = await c.convertToBlob({ type, quality });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  }, { w, h, type, rgb, photo, quality });
}

const file = (name, mimeType, b64) => ({ name, mimeType, buffer: Buffer.from(b64, 'base64') });

/// Dispatches a paste or a drop of `b64` (a PNG) inside the widget's shadow root.
async function pasteOrDrop(page, kind, b64) {
  await page.evaluate(({ kind, b64 }) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'image.png', { type: 'image/png' }));
    const root = document.querySelector('grok-chat-widget').shadowRoot;
    if (kind === 'paste') {
      root.querySelector('textarea').dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    } else {
      const target = root.querySelector('.gw-log');
      target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }
  }, { kind, b64 });
}

const lastReply = (page) => page.locator('grok-chat-widget .gw-assistant[data-status="done"]').last();


/// Waits for the next file chooser. Playwright turns on the interception asynchronously: the round
/// trip makes sure it is on before the click, or the native dialog opens and no event comes.
async function fileChooser(page, options) {
  const chooser = page.waitForEvent('filechooser', options);
  await page.evaluate(() => 0);
  return { chooser };
}

test('an image attached with the button goes with the text, and the reply describes it', async () => {
  const { page, context, box, posted } = await openChat();
  const png = await makeImage(page, { w: 40, h: 30 });
  const { chooser } = await fileChooser(page);
  await page.getByRole('button', { name: 'Attach image' }).click();
  await (await chooser).setFiles(file('card.png', 'image/png', png));
  await page.getByRole('img', { name: 'Attached image 1 of 1' }).waitFor();
  await box.fill('What is this?');
  await box.press('Enter');
  const reply = lastReply(page);
  await reply.waitFor();
  assert.match(await reply.textContent(), /I see a 40x30 PNG image whose mean colour is #c81e3c\./);
  // The transcript shows the image above the text; the composer is empty again.
  const bubble = page.locator('grok-chat-widget .gw-user').last();
  assert.equal(await bubble.getByRole('img', { name: 'Image you sent' }).count(), 1);
  assert.equal(await page.getByRole('img', { name: /Attached image/ }).count(), 0);
  assert.equal(posted.length, 1);
  assert.equal(posted[0].message, 'What is this?');
  assert.match(posted[0].images[0], /^data:image\/png;base64,/);
  await screenshot(page, 'images-attached-and-described');
  await context.close();
});

test('a pasted image and a dropped image are attached; an image alone is a message', async () => {
  const { page, context, posted } = await openChat();
  await pasteOrDrop(page, 'paste', await makeImage(page, { w: 16, h: 16, rgb: [0, 0, 255] }));
  await page.getByRole('img', { name: 'Attached image 1 of 1' }).waitFor();
  await pasteOrDrop(page, 'drop', await makeImage(page, { w: 20, h: 10, rgb: [0, 255, 0] }));
  await page.getByRole('img', { name: 'Attached image 2 of 2' }).waitFor();
  await screenshot(page, 'images-two-attached');
  await page.getByRole('button', { name: 'Send' }).click();
  const reply = lastReply(page);
  await reply.waitFor();
  const text = await reply.textContent();
  assert.match(text, /16x16 PNG image whose mean colour is #0000ff/);
  assert.match(text, /20x10 PNG image whose mean colour is #00ff00/);
  assert.equal(posted[0].message, '');
  assert.equal(posted[0].images.length, 2);
  await context.close();
});

test('a large photo is scaled down under the cap before it is uploaded', async () => {
  const { page, context, posted } = await openChat();
  const photo = await makeImage(page, { w: 4000, h: 3000, type: 'image/jpeg', photo: true });
  const original = Buffer.from(photo, 'base64').length;
  assert.ok(original > CAP, `the test photo is ${original} bytes, over the cap`);
  const { chooser } = await fileChooser(page);
  await page.getByRole('button', { name: 'Attach image' }).click();
  await (await chooser).setFiles(file('photo.jpg', 'image/jpeg', photo));
  await page.getByRole('img', { name: 'Attached image 1 of 1' }).waitFor({ timeout: 20000 });
  await page.getByRole('button', { name: 'Send' }).click();
  const reply = lastReply(page);
  await reply.waitFor();
  assert.match(await reply.textContent(), /I see a 1536x1152 JPEG image/);
  const sent = posted[0].images[0];
  assert.match(sent, /^data:image\/jpeg;base64,/);
  const bytes = Buffer.from(sent.split(',')[1], 'base64').length;
  console.log(`photo 4000x3000: ${original} bytes picked, ${bytes} bytes uploaded (cap ${CAP})`);
  assert.ok(bytes <= CAP, `${bytes} bytes uploaded`);
  await context.close();
});

test('a reload keeps the transcript with a thumbnail, never the full image', async () => {
  const { page, context, posted } = await openChat();
  const photo = await makeImage(page, { w: 900, h: 600, type: 'image/jpeg', photo: true });
  const { chooser } = await fileChooser(page);
  await page.getByRole('button', { name: 'Attach image' }).click();
  await (await chooser).setFiles(file('photo.jpg', 'image/jpeg', photo));
  await page.getByRole('img', { name: 'Attached image 1 of 1' }).waitFor();
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill('Keep this');
  await box.press('Enter');
  await lastReply(page).waitFor();
  const sent = posted[0].images[0].split(',')[1];
  await page.reload();
  await page.getByRole('button', { name: 'Open chat' }).click();
  const bubble = page.locator('grok-chat-widget .gw-user').filter({ hasText: 'Keep this' });
  const thumb = bubble.getByRole('img', { name: 'Image you sent' });
  await thumb.waitFor();
  const src = await thumb.getAttribute('src');
  assert.match(src, /^data:image\/jpeg;base64,/);
  const stored = await page.evaluate(() => Object.entries(localStorage).map(([k, v]) => k + v).join(''));
  assert.ok(stored.length < 30000, `storage holds ${stored.length} characters`);
  assert.ok(!stored.includes(sent.slice(1000, 1100)), 'the full image is not stored');
  assert.ok(sent.length > 10 * src.length, `thumbnail ${src.length} vs image ${sent.length}`);
  await screenshot(page, 'images-after-reload');
  await context.close();
});

test('an image is attached and removed with the keyboard alone', async () => {
  const { page, context, box } = await openChat();
  const png = await makeImage(page, { w: 8, h: 8 });
  await box.focus();
  await page.keyboard.press('Shift+Tab');
  const focused = () => page.evaluate(() => document.querySelector('grok-chat-widget').shadowRoot.activeElement?.getAttribute('aria-label'));
  assert.equal(await focused(), 'Attach image');
  const { chooser } = await fileChooser(page, { timeout: 5000 });
  await page.keyboard.press('Space');
  await (await chooser).setFiles(file('a.png', 'image/png', png));
  await page.getByRole('img', { name: 'Attached image 1 of 1' }).waitFor();
  await page.keyboard.press('Shift+Tab');
  assert.equal(await focused(), 'Remove image 1');
  await page.keyboard.press('Enter');
  await page.getByRole('img', { name: 'Attached image 1 of 1' }).waitFor({ state: 'detached' });
  assert.equal(await focused(), 'Attach image', 'the keyboard goes back to the attach button');
  await context.close();
});

test('a site without images shows no attach button and ignores a pasted image', async () => {
  const { page, context } = await openChat('/text');
  await page.waitForTimeout(300);
  assert.equal(await page.getByRole('button', { name: 'Attach image' }).count(), 0);
  await pasteOrDrop(page, 'paste', await makeImage(page, { w: 4, h: 4 }));
  await page.waitForTimeout(200);
  assert.equal(await page.getByRole('img', { name: /Attached image/ }).count(), 0);
  await context.close();
});

test('a file that is not an image is refused with a reason', async () => {
  const { page, context } = await openChat();
  const { chooser } = await fileChooser(page);
  await page.getByRole('button', { name: 'Attach image' }).click();
  await (await chooser).setFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
  await page.getByRole('alert').filter({ hasText: 'Only PNG, JPEG, WebP or GIF images can be attached.' }).waitFor();
  await context.close();
});
