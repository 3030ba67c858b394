// The sanitisation both renderings go through before they are compared, and the canonical
// form compared: the widget's chrome (code block header, table wrapper, colour spans, the task
// box's words) comes off, markdown-it's output is cut to what the widget allows (links only to
// http(s)/mailto, images as their alt text, no attributes but the meaningful ones), and layout
// whitespace between blocks is dropped. What is left is the DOM structure and its text.
import { parseFragment } from 'parse5';

const BLOCK = new Set(['p', 'blockquote', 'ul', 'ol', 'li', 'pre', 'hr', 'table', 'thead', 'tbody',
  'tr', 'th', 'td', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'div', '#root']);

/// The widget's `safe_url`: absolute http(s) or mailto, no whitespace or control characters.
export function safeUrl(url) {
  const u = url.trim();
  if (!u || /[\s\p{Cc}]/u.test(u)) return false;
  const lower = u.toLowerCase();
  const ok = lower.startsWith('https://') || lower.startsWith('http://') || lower.startsWith('mailto:');
  return ok && u.slice(u.indexOf(':') + 1).replace(/^\/+/, '') !== '';
}

const attr = (el, name) => el.attrs?.find((a) => a.name === name)?.value;
const hasClass = (el, c) => (attr(el, 'class') || '').split(/\s+/).includes(c);
const decode = (href) => { try { return decodeURI(href); } catch { return href; } };

/// The text of a subtree (an image's alt text is its text).
function textOf(node) {
  if (node.nodeName === '#text') return node.value;
  if (node.nodeName === 'img') return attr(node, 'alt') || '';
  return (node.childNodes || []).map(textOf).join('');
}

/// Canonical children of `node`: strings and [tag, attrs, children].
function children(node, ctx) {
  const out = [];
  const push = (item) => {
    if (typeof item === 'string' && typeof out[out.length - 1] === 'string') out[out.length - 1] += item;
    else if (item !== '') out.push(item);
  };
  for (const n of node.childNodes || []) {
    if (n.nodeName === '#text') { push(n.value); continue; }
    if (!n.tagName) continue;
    for (const item of element(n, ctx)) push(item);
  }
  return out;
}

/// One element, canonical: a list, since unwrapping gives its children in its place.
function element(el, ctx) {
  const tag = el.tagName;
  const kids = () => children(el, ctx);
  if (tag === 'a') {
    const href = attr(el, 'href') ?? '';
    return safeUrl(href) ? [['a', { href: decode(href) }, kids()]] : kids();
  }
  if (tag === 'img') return [attr(el, 'alt') || ''];
  if (tag === 'div' && hasClass(el, 'gw-code')) {
    const pre = el.childNodes.find((c) => c.tagName === 'pre');
    return pre ? element(pre, ctx) : [];
  }
  if (tag === 'div' && hasClass(el, 'gw-table')) return kids();
  if (tag === 'span' && hasClass(el, 'gw-sr')) return [];
  if (tag === 'span' && hasClass(el, 'gw-box')) return [['task', { checked: hasClass(el, 'gw-done') }, []]];
  if (tag === 'input' && attr(el, 'type') === 'checkbox') {
    return [['task', { checked: attr(el, 'checked') !== undefined }, []]];
  }
  if (tag === 's') return [['del', {}, kids()]];
  const a = {};
  const m = /^h([1-6])$/.exec(tag);
  let name = tag;
  if (m) {
    // The widget's heading levels: the first heading is an h3, the rest follow from it.
    const level = Number(m[1]);
    if (ctx.reference) {
      ctx.base ??= level;
      name = `h${Math.min(6, 3 + Math.max(0, level - ctx.base))}`;
    }
  }
  if (tag === 'th' || tag === 'td') {
    const style = /text-align:\s*(\w+)/.exec(attr(el, 'style') || '')?.[1];
    const cls = { 'gw-align-l': 'left', 'gw-align-c': 'center', 'gw-align-r': 'right' }[attr(el, 'class')];
    if (style || cls) a.align = style || cls;
  }
  if (tag === 'ol' && attr(el, 'start') !== undefined) a.start = attr(el, 'start');
  if (tag === 'code' && attr(el, 'class')) a.class = attr(el, 'class');
  return [[name, a, tag === 'pre' ? preText(kids(), ctx) : kids()]];
}

/// markdown-it ends a code block's text with a newline; the widget leaves it out (so "Copy code"
/// does not run a pasted command at once). The reference's one final newline goes.
function preText(kids, ctx) {
  if (!ctx.reference) return kids;
  return kids.map((k) => {
    if (!Array.isArray(k) || k[0] !== 'code') return k;
    const text = k[2].slice();
    const last = text.length - 1;
    if (typeof text[last] === 'string') text[last] = text[last].replace(/\n$/, '');
    return ['code', k[1], text.filter((t) => t !== '')];
  });
}

/// Layout whitespace: text next to a block element or a container's edge, and after a `<br>`.
function trim(items, tag) {
  if (tag === 'pre' || tag === 'code') return items;
  const isBlock = (i) => Array.isArray(i) && (BLOCK.has(i[0]) || i[0] === 'task');
  const out = [];
  items.forEach((item, i) => {
    if (typeof item !== 'string') {
      out.push([item[0], item[1], trim(item[2], item[0])]);
      return;
    }
    let t = item;
    const prev = items[i - 1];
    const next = items[i + 1];
    if (BLOCK.has(tag) && (prev === undefined || isBlock(prev))) t = t.replace(/^\s+/, '');
    if (Array.isArray(prev) && (prev[0] === 'br' || prev[0] === 'task')) t = t.replace(/^[ \n]+/, '');
    if (BLOCK.has(tag) && (next === undefined || isBlock(next))) t = t.replace(/\s+$/, '');
    if (t !== '') out.push(t);
  });
  return out;
}

/// The canonical form of an HTML fragment, as a string to compare.
/// `reference`: markdown-it's output (its headings are mapped to the widget's levels, its code
/// loses its final newline).
export function canonical(html, { reference = false } = {}) {
  const root = parseFragment(html);
  return JSON.stringify(trim(children(root, { reference }), '#root'));
}

/// Text only, for a readable diff.
export function plain(html) {
  return textOf(parseFragment(html));
}
