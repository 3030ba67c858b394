// The "On the Bench" section of docs/benchmarks.md, from what scripts/bench-pinned wrote:
// one-at-a-time added latency and added time to the first streamed frame with the proxy pinned
// to its own core, and its memory. report.mjs includes it; run alone it prints the Markdown.
//
//   node tests/browser/bench/pinned-report.mjs RESULTS_DIR
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const f = (x, d = 3) => (x == null || Number.isNaN(x) ? 'n/a' : Number(x).toFixed(d));
const read = (dir, name) => {
  const p = join(dir, name);
  return existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : null;
};

/// Published figures of the harness (their machines; the method is the same).
const PUBLISHED = [
  ['LiteLLM-Rust', 'added p99, one at a time', 0.107, 'sequential'],
  ['Busbar', 'added p99, one at a time', 0.116, 'sequential'],
  ['GoModel', 'added p99 to the first streamed frame', 0.219, 'first_frame'],
];

/// Lines of Markdown and target rows `[what, value, limit, unit, digits]` for report.mjs.
export function pinnedSection(dir) {
  const L = [];
  const targets = [];
  const p = (...l) => L.push(...l);
  const table = (head, rows) => {
    p(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`), '');
  };
  const r = read(dir, 'pinned.json');
  const meta = read(dir, 'pinned-meta.json') ?? {};
  p('## 7. The "On the Bench" method: proxy pinned to its own core', '');
  if (!r) { p('_Not measured (`scripts/bench-pinned`)._', ''); return { lines: L, targets }; }
  p(`**Method.** \`scripts/bench-pinned\` (${meta.date ?? ''}, load average ${meta.loadavg ?? '?'} at the start): the release proxy on core 0 alone (\`taskset -c 0\`), the release fake x.ai and the load generator (\`proxy/benches/pinned.rs\`) on core 1. ` +
    'One request at a time on one keep-alive connection per side, a minimal blocking HTTP/1.1 client (prepared request bytes; reads to the `content-length` or the last chunk), ' +
    `${r.warmup} warm-up rounds then ${r.requests_each} measured requests per side, sides taking turns request by request (direct, then each proxy binary). ` +
    'Added = proxy − direct at the same percentile, as the harness defines it. The do-nothing relay (`pinned --relay`: two threads per connection copying bytes, on the proxy\'s core) carries the direct request: its added figure is the floor of this method on this machine, what moving each request to another core and back costs before any gateway work. Streamed: the same 8-word reply from `/api/chat/stream` (`/v1/responses` with `stream: true` direct), timed to the arrival of the first delta event\'s bytes. µs.', '');
  const all = Object.keys(r.sequential.targets);
  // `relay` is the do-nothing relay on the proxy's core (the floor); the rest are proxies.
  const names = all.filter((n) => n !== 'relay');
  const label = (n) => (n === 'relay' ? 'do-nothing relay (the floor)' : `proxy (${n})`);
  const rows = [];
  for (const [key, what] of [['sequential', 'one at a time, whole reply'], ['first_frame', 'streamed, first delta frame']]) {
    const s = r[key];
    rows.push([what, 'direct to fake', ...['p50', 'p90', 'p99', 'mean'].map((k) => f(s.direct_us[k], 0))]);
    for (const n of all) {
      const t = s.targets[n];
      rows.push([what, label(n), ...['p50', 'p90', 'p99', 'mean'].map((k) => f(t.us[k], 0))]);
      rows.push([what, `**added (${n})**`, ...['p50', 'p90', 'p99', 'mean'].map((k) => `**${f(t.added_us[k], 0)}**`)]);
    }
  }
  table(['', '', 'p50', 'p90', 'p99', 'mean'], rows);
  const cpu = read(dir, 'pinned-cpu.json');
  if (cpu) {
    p(`**CPU per turn** (each proxy process's \`/proc/PID/schedstat\` time, kernel and user, over the ${2 * (r.warmup + r.requests_each)} turns it served; both stages): ` +
      Object.entries(cpu).map(([n, ns]) => `${n} ${f(ns / 1000, 1)} µs`).join(', ') + '.', '');
  }
  const cur = names.includes('current') ? 'current' : names[names.length - 1];
  const seq = r.sequential.targets[cur].added_us;
  const ff = r.first_frame.targets[cur].added_us;
  const mem = read(dir, `memory-${cur}.json`)?.memory;
  if (names.length > 1) {
    const base = names[0];
    const b = r.sequential.targets[base].added_us;
    const bf = r.first_frame.targets[base].added_us;
    p(`Current / ${base} (same run): added p50 ${f(seq.p50 / b.p50, 2)}×, added p99 ${f(seq.p99 / b.p99, 2)}×, first-frame added p99 ${f(ff.p99 / bf.p99, 2)}×.`, '');
  }
  const memRows = [];
  for (const file of readdirSync(dir).filter((x) => /^memory-.*\.json$/.test(x)).sort()) {
    const m = read(dir, file).memory;
    const n = file.slice(7, -5);
    memRows.push([n, f(m.idle_at_start_kib / 1024, 1), f(m.idle_kib / 1024, 1), `${f(m.loaded_kib / 1024, 1)} (${m.streams_open} open, ${m.streams_failed} failed)`, f((m.loaded_kib - m.idle_kib) / m.streams, 1)]);
  }
  if (memRows.length) {
    p('**Memory** (pinned like the rest; `VmRSS`, method as in section 4), MiB:', '');
    table(['binary', 'just started', 'idle after one turn', `${mem?.streams ?? 1000} streams open`, 'KiB per stream'], memRows);
  }
  p('Against the harness\'s published figures (their machines, this method):', '');
  const ours = { sequential: seq.p99 / 1000, first_frame: ff.p99 / 1000 };
  table(['gateway', 'figure', 'theirs', 'ours', 'ours / theirs'], [
    ...PUBLISHED.map(([g, what, v, k]) => [g, what, `${v} ms`, `${f(ours[k])} ms`, `${f(ours[k] / v, 2)}×`]),
    ...(mem ? [['Busbar', 'idle RSS', '8.7 MiB', `${f(mem.idle_kib / 1024, 1)} MiB`, `${f(mem.idle_kib / 1024 / 8.7, 2)}×`]] : []),
  ]);
  targets.push(['Pinned: added latency, median, one at a time', seq.p50 / 1000, 0.09, 'ms', 3]);
  targets.push(['Pinned: added latency, p99, one at a time', seq.p99 / 1000, 0.12, 'ms', 3]);
  targets.push(['Pinned: added time to the first streamed frame, p99', ff.p99 / 1000, 0.2, 'ms', 3]);
  if (mem) {
    targets.push(['Pinned: proxy RSS idle', mem.idle_kib / 1024, 8, 'MiB', 1]);
    targets.push([`Pinned: proxy RSS with ${mem.streams} open streams`, mem.loaded_kib / 1024, 50, 'MiB', 1]);
  }
  return { lines: L, targets };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: pinned-report.mjs RESULTS_DIR');
  const { lines, targets } = pinnedSection(dir);
  console.log(lines.join('\n'));
  console.log('| what | measured | target | verdict |\n|---|---|---|---|');
  for (const [what, v, limit, unit, d] of targets) {
    console.log(`| ${what} | ${f(v, d)} ${unit} | ≤ ${limit} ${unit} | ${v <= limit ? `met, ${f(limit - v, d)} ${unit} to spare` : `**missed by ${f(v - limit, d)} ${unit}**`} |`);
  }
}
