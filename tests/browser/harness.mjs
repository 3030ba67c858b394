// Test harness for the browser tests: starts the fake x.ai, a host page on its own origin and
// the real proxy (release binaries), and launches Debian's headless Chromium.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(here, '..', '..');
export const ARTIFACTS = join(here, 'artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

/// A key that must never show up in anything the browser receives.
export const CANARY_KEY = 'xai-CANARY-5f3a9c1e7b2d4e6f8a0b';

export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

/// Spawns `bin args`, resolves with the address from its `listening on http://ADDR` line.
/// `inherit: false` gives the process `env` alone (no PATH, no HOME), as a fresh server has.
export function startListening(bin, args, env, { cwd, inherit = true } = {}) {
  return new Promise((resolve, reject) => {
    const fullEnv = inherit ? { ...process.env, ...env } : env;
    const child = spawn(bin, args, { env: fullEnv, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${bin} did not start: ${err}`)), 15000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on http:\/\/(\S+)/);
      if (m) { clearTimeout(timer); resolve({ child, addr: m[1], logs: () => err }); }
    });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${bin} exited ${code}: ${err}`)); });
  });
}

/// A page server on its own origin, serving whatever `pages` maps a path to (a function of the
/// proxy URL, so a test can write the one script tag with the right address).
export function startHostServer(pages) {
  const state = { proxyUrl: '' };
  const server = createServer((req, res) => {
    const page = pages[req.url.split('?')[0]];
    if (!page) { res.writeHead(404); res.end('not found'); return; }
    const { html, headers = {} } = page(state.proxyUrl);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...headers });
    res.end(html);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, state, port: server.address().port })));
}

export function hostPage(proxyUrl, { attrs = 'data-client-id="demo"', head = '', body = '' } = {}) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host page</title>${head}</head>
<body><main><h1>A customer's page</h1><p>Some content.</p>${body}</main>
<script src="${proxyUrl}/widget.js" ${attrs} async></script></body></html>`;
}

export const OPENAI_KEY = 'sk-CANARY-openai-3c9e1a7f';
export const ANTHROPIC_KEY = 'sk-ant-CANARY-anthropic-8b2d4f6a';

/// Starts fake x.ai + host page server + proxy. `pages` maps paths to page functions.
/// `providers: { first_token_ms, per_delta_ms }` also starts the fake OpenAI and Anthropic APIs
/// with those delays and adds the clients "openai" and "anthropic" (no server voice). `voice`:
/// lines for the proxy's `[voice]` table. `clients`: more `[[clients]]` tables (`ORIGIN` in them
/// is replaced by the host page's origin).
export async function startStack(pages = { '/': (u) => ({ html: hostPage(u) }) }, { providers, voice = '', clients = '' } = {}) {
  const fake = await startListening(join(ROOT, 'target/release/fake-xai'),
    ['--listen', '127.0.0.1:0', '--api-key', CANARY_KEY, '--speech', 'tone'], {});
  const others = providers && await startListening(join(ROOT, 'target/release/fake-providers'),
    ['--listen', '127.0.0.1:0', '--openai-api-key', OPENAI_KEY, '--anthropic-api-key', ANTHROPIC_KEY,
      '--first-token-ms', String(providers.first_token_ms ?? 0),
      '--per-delta-ms', String(providers.per_delta_ms ?? 0)], {});
  const host = await startHostServer(pages);
  const hostOrigin = `http://127.0.0.1:${host.port}`;
  const dir = mkdtempSync(join(tmpdir(), 'widget-e2e-'));
  const config = join(dir, 'proxy.toml');
  writeFileSync(config, `
widget_dir = "${join(ROOT, 'target/widget-dist')}"
site_dir = "${join(ROOT, 'demo-site')}"
# Upstream failures reach the widget at once, so tests can see how it shows them.
retry_max = 0

[[clients]]
id = "demo"
allowed_origins = ["${hostOrigin}"]
model = "grok-4-1-fast-non-reasoning"
instructions = "Be brief."
voice = "eve"
voices = ["eve", "leo"]
title = "Test Chat"
greeting = "Hello from the test proxy"
accent_color = "#7c3aed"

# Server voice off: the widget reads replies with the browser voice.
[[clients]]
id = "quiet"
allowed_origins = ["${hostOrigin}"]
model = "grok-4-1-fast-non-reasoning"
instructions = "Be brief."
voice = "eve"
voice_enabled = false
title = "Quiet Chat"

# Visitors may attach images (1 MB each at most).
[[clients]]
id = "vision"
allowed_origins = ["${hostOrigin}"]
model = "grok-4-1-fast-non-reasoning"
instructions = "Be brief."
voice_enabled = false
title = "Vision Chat"
images = true
max_image_kb = 1024

# Signed session tokens required on chat requests.
[[clients]]
id = "secure"
allowed_origins = ["${hostOrigin}"]
model = "grok-4-1-fast-non-reasoning"
instructions = "Be brief."
voice = "eve"
session_tokens = true
title = "Secure Chat"
${others ? `
[[clients]]
id = "openai"
provider = "openai"
allowed_origins = ["${hostOrigin}"]
model = "gpt-4.1-mini"
instructions = "Be brief."
title = "OpenAI Chat"

[[clients]]
id = "anthropic"
provider = "anthropic"
allowed_origins = ["${hostOrigin}"]
model = "claude-haiku-4-5"
instructions = "Be brief."
title = "Anthropic Chat"
` : ''}
${clients.replaceAll('ORIGIN', hostOrigin)}
[voice]
${voice}
`);
  const providerEnv = others ? {
    OPENAI_API_KEY: OPENAI_KEY, OPENAI_BASE_URL: `http://${others.addr}/openai/v1`,
    ANTHROPIC_API_KEY: ANTHROPIC_KEY, ANTHROPIC_BASE_URL: `http://${others.addr}/anthropic/v1`,
  } : {};
  const proxy = await startListening(join(ROOT, 'target/release/proxy'),
    ['serve', '--config', config, '--listen', '127.0.0.1:0'],
    { XAI_API_KEY: CANARY_KEY, XAI_BASE_URL: `http://${fake.addr}/v1`, PROXY_DEMO_MODE: 'false', RUST_LOG: 'info', ...providerEnv });
  const proxyUrl = `http://${proxy.addr}`;
  host.state.proxyUrl = proxyUrl;
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_FLAGS });
  return {
    browser, proxyUrl, hostOrigin, fakeUrl: `http://${fake.addr}`,
    proxyLogs: proxy.logs,
    async stop() {
      await browser.close();
      proxy.child.kill('SIGTERM');
      fake.child.kill('SIGTERM');
      others?.child.kill('SIGTERM');
      host.server.close();
    },
  };
}

/// A new page that records every request URL, console line and page error. `isMobile`: a
/// phone's viewport rules (the page may be wider than the screen; touch).
export async function openPage(stack, { width = 1280, height = 800, isMobile = false } = {}) {
  const context = await stack.browser.newContext({ viewport: { width, height }, isMobile, hasTouch: isMobile });
  const page = await context.newPage();
  const seen = { requests: [], console: [], errors: [], bodies: [] };
  page.on('request', (r) => seen.requests.push(r.url()));
  page.on('console', (m) => seen.console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => seen.errors.push(e.message));
  page.on('response', async (r) => {
    try { seen.bodies.push(JSON.stringify(r.headers()) + (await r.text())); } catch { /* bodies of redirects etc. */ }
  });
  return { page, context, seen };
}

/// Talks to the fake x.ai's `/_control` channel (faults, delays, reset).
/// Opens the stack's main page and the panel: the page, its context, what it logged, and the
/// message box, ready.
export async function openPanel(stack, opts) {
  const { page, context, seen } = await openPage(stack, opts);
  await page.goto(stack.hostOrigin + '/');
  await page.getByRole('button', { name: 'Open chat' }).click();
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.waitFor();
  return { page, context, seen, box };
}

export async function control(stack, method, path, body) {
  const r = await fetch(`${stack.fakeUrl}/_control/${path}`, {
    method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`control ${path}: ${r.status} ${await r.text()}`);
}

export const setDelays = (stack, first_token_ms, per_delta_ms) =>
  control(stack, 'PUT', 'delays', { first_token_ms, per_delta_ms, tts_first_audio_ms: 0, tts_per_chunk_ms: 0 });
export const addFault = (stack, kind, times = 1, path = '/v1/responses') =>
  control(stack, 'POST', 'faults', { path, times, kind });
export const resetFake = (stack) => control(stack, 'POST', 'reset');

export async function screenshot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}
