// The release archive, as a site owner installs it: unpacked into an empty directory, configured
// with `proxy init`, run with that directory alone and no PATH against the fake x.ai, and used
// from a page on another origin in Chromium. The archive is built by `scripts/package`
// (scripts/test runs it before the browser tests).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, CANARY_KEY, CHROMIUM_FLAGS, startListening, startHostServer, hostPage, screenshot } from './harness.mjs';

const cleanup = [];
after(() => { for (const f of cleanup.reverse()) f(); });

test('the unpacked release archive serves the widget and answers with nothing else on disk', async () => {
  const dist = join(ROOT, 'dist');
  const archive = existsSync(dist) && readdirSync(dist).find((f) => /^grok-widget-proxy-.*-x86_64-linux\.tar\.gz$/.test(f));
  assert.ok(archive, 'scripts/package wrote dist/grok-widget-proxy-*.tar.gz');
  const dir = mkdtempSync(join(tmpdir(), 'widget-install-'));
  execFileSync('tar', ['-xzf', join(dist, archive), '-C', dir]);
  const [top] = readdirSync(dir);
  const home = join(dir, top);
  const files = readdirSync(home).sort();
  assert.deepEqual(files, ['INSTALL.md', 'LICENSE', 'proxy', 'proxy.example.toml', 'widget-proxy.service']);

  const fake = await startListening(join(ROOT, 'target/release/fake-xai'),
    ['--listen', '127.0.0.1:0', '--api-key', CANARY_KEY, '--speech', 'tone'], {});
  cleanup.push(() => fake.child.kill('SIGTERM'));
  const host = await startHostServer({ '/': (u) => ({ html: hostPage(u, { attrs: 'data-client-id="site"' }) }) });
  cleanup.push(() => host.server.close());
  const origin = `http://127.0.0.1:${host.port}`;
  // INSTALL.md step 2, then step 4 with only the key and the fake's address in the environment.
  execFileSync(join(home, 'proxy'), ['init', '--config', 'proxy.toml', '--origin', origin], { cwd: home, env: {} });
  const proxy = await startListening('./proxy', ['serve', '--config', 'proxy.toml', '--listen', '127.0.0.1:0'],
    { XAI_API_KEY: CANARY_KEY, XAI_BASE_URL: `http://${fake.addr}/v1` }, { cwd: home, inherit: false });
  cleanup.push(() => proxy.child.kill('SIGTERM'));
  host.state.proxyUrl = `http://${proxy.addr}`;

  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_FLAGS });
  cleanup.push(() => browser.close());
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(origin + '/');
  await page.getByRole('button', { name: 'Open chat' }).click();
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill('Hello from an installed package');
  await box.press('Enter');
  const reply = page.locator('grok-chat-widget .gw-assistant[data-status]').last();
  await page.getByRole('button', { name: 'Send' }).waitFor();
  assert.match(await reply.textContent(), /Hello from an installed package/);
  await screenshot(page, 'package-install-answered');
  assert.deepEqual(errors, []);
  assert.match(proxy.logs(), /serving the widget embedded in this binary/);
});
