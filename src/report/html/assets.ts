// The inline stylesheet and the one inline script of the HTML report. The script is TypeScript of
// its own (src/report/html/client/), compiled for browsers by the build; this reads what it made.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A compiled browser script from dist/client/, found from this module whether it runs compiled
 * (dist/src/report/html/) or from source (tests): the nearest folder up with a package.json.
 */
export function readClientScript(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`dualscope: no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  const path = join(dir, 'dist', 'client', name);
  if (!existsSync(path)) throw new Error(`dualscope: ${path} is missing: run \`npm run build\``);
  return readFileSync(path, 'utf8');
}

/** Geometry shared by the server-side render and the script. */
export const LAYOUT = {
  width: 1000,
  labelWidth: 250,
  padRight: 12,
  axisHeight: 34,
  overviewHeight: 44,
} as const;

export const CSS = `
:root{--err:#dc2626;--warn:#d97706;--info:#2563eb;--fg:#111827;--muted:#6b7280;--line:#e5e7eb;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:#f3f4f6}
header.top{padding:12px 16px;background:#fff;border-bottom:1px solid var(--line)}
h1{font-size:18px;margin:0 0 6px}
h1 .file{font-family:var(--mono);font-weight:500;overflow-wrap:anywhere}
h2{font-size:15px;margin:0 0 8px}
.badge{display:inline-block;font-size:12px;font-weight:700;color:#fff;padding:1px 8px;border-radius:10px;margin-right:6px}
.badge.error,.sev-error .sev{background:var(--err)}.badge.warning,.sev-warning .sev{background:var(--warn)}.badge.info,.sev-info .sev{background:var(--info)}
.badge.zero{background:#d1d5db;color:#374151}
dl.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:4px 16px;margin:8px 0 0}
dl.facts dt{color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.03em}
dl.facts dd{margin:0;font-family:var(--mono);font-size:13px;overflow-wrap:anywhere}
details.more{margin-top:6px;font-size:13px}details.more p{margin:2px 0;font-family:var(--mono);font-size:12px;overflow-wrap:anywhere}
main{display:grid;grid-template-columns:minmax(300px,410px) minmax(0,1fr);gap:12px;padding:12px;align-items:start}
@media (max-width:900px){main{grid-template-columns:1fr}#findings{position:static;max-height:none}}
#findings{position:sticky;top:0;max-height:100vh;overflow:auto;padding-right:2px}
.kinds{display:flex;flex-wrap:wrap;gap:2px 10px;font-size:12px;margin-bottom:8px}
.kinds label{font-family:var(--mono);cursor:pointer}
.finding{background:#fff;border:1px solid var(--line);border-left:5px solid var(--info);border-radius:6px;padding:8px 10px;margin-bottom:8px;cursor:pointer}
.finding[hidden]{display:none}
.finding.sev-error{border-left-color:var(--err)}.finding.sev-warning{border-left-color:var(--warn)}
.finding.sel{outline:2px solid #111827;outline-offset:1px}
.finding:focus-visible{outline:2px solid var(--info)}
.finding .head{display:flex;gap:6px;align-items:center;flex-wrap:wrap;font-size:12px}
.sev{font-size:11px;font-weight:700;text-transform:uppercase;color:#fff;padding:0 6px;border-radius:3px}
.kind{font-family:var(--mono)}.when{color:var(--muted);margin-left:auto}
.summary{margin:4px 0;font-weight:600;overflow-wrap:anywhere}
.finding dl{margin:4px 0;display:grid;grid-template-columns:auto 1fr;gap:2px 8px;font-size:13px}
.finding dt{color:var(--muted)}.finding dd{margin:0;overflow-wrap:anywhere}
.filter{display:flex;gap:6px;align-items:center;margin:4px 0}
.filter code{flex:1;font-family:var(--mono);font-size:12px;background:#f3f4f6;padding:2px 4px;border-radius:3px;overflow-wrap:anywhere;user-select:all;cursor:text}
button{font:inherit;font-size:12px;padding:2px 8px;border:1px solid #d1d5db;border-radius:4px;background:#fff;cursor:pointer}
button:hover{background:#f3f4f6}
.finding details{font-size:12px;margin-top:4px}
.finding summary{cursor:pointer;color:#374151}
table.evidence{border-collapse:collapse;width:100%;font-size:12px;margin-top:2px}
table.evidence th{color:var(--muted);font-weight:500;text-align:left}
table.evidence td,table.evidence th{padding:1px 4px;vertical-align:top;overflow-wrap:anywhere}
table.evidence td:nth-child(-n+2){white-space:nowrap}
table.evidence tr[data-t]:hover{background:#eef2ff;cursor:pointer}
table.occurrences{border-collapse:collapse;width:100%;font-size:12px;margin-top:2px}
table.occurrences th{color:var(--muted);font-weight:500;text-align:left}
table.occurrences td,table.occurrences th{padding:1px 4px;vertical-align:top;overflow-wrap:anywhere}
table.occurrences td:nth-child(1),table.occurrences td:nth-child(3){white-space:nowrap}
table.occurrences .occ-names{color:var(--muted)}
table.occurrences tr[data-occ]:hover{background:#eef2ff;cursor:pointer}
table.occurrences tr.occ-sel{background:#e0e7ff}
.finding .head .count{font-weight:600}
.note{color:var(--muted);font-size:12px;margin:4px 0}
#timeline{background:#fff;border:1px solid var(--line);border-radius:6px;padding:8px;min-width:0}
.controls{display:flex;flex-wrap:wrap;gap:4px;align-items:center;margin-bottom:4px}
.controls .hint{color:var(--muted);font-size:12px;margin-left:8px}
.legend{display:flex;flex-wrap:wrap;gap:2px 12px;font-size:11px;color:#374151;margin:4px 0}
.sw{display:inline-block;width:12px;height:9px;vertical-align:middle;margin-right:3px;border-radius:1px}
.sw.a{background:#3b82f6}.sw.aaaa{background:#8b5cf6}.sw.q-other{background:#0ea5e9}.sw.lost{background:#fee2e2;border:1.5px dashed #dc2626}
.sw.syn{background:#16a34a}.sw.data{background:#9ca3af}.sw.retx{background:#f59e0b}.sw.rst{background:#dc2626}.sw.fin{background:#374151}
.sw.ptb{background:#db2777}.sw.unreach{background:#7f1d1d}.sw.other{background:#a16207}.sw.agg{background:#d1d5db}
#axis-wrap{position:sticky;top:0;background:#fff;z-index:2}
svg{display:block;user-select:none}
svg text{font:11px system-ui,sans-serif;fill:#374151}
.lane-label{font-family:var(--mono);font-size:11px}
.lane-more{font-size:9px;fill:var(--muted)}
.lane-bg{fill:#fff}.lane-bg.odd{fill:#f9fafb}
.lane-hl .lane-bg{fill:#fef3c7}.lane-hl .lane-label{font-weight:700}
.dim{opacity:.25}
.grid line{stroke:#e5e7eb}
.axis line{stroke:#9ca3af}.axis .base{stroke:#6b7280}
.ov-bars{fill:#93c5fd}.ov-vp{fill:#1d4ed8;fill-opacity:.12;stroke:#1d4ed8;stroke-width:1}.ov-sel{fill:#111827;fill-opacity:.15}
#overview,#axis{cursor:crosshair}#plot{cursor:grab}
.m{fill:#6b7280}
.t-dns-query.q-a{fill:#3b82f6}.t-dns-query.q-aaaa{fill:#8b5cf6}.t-dns-query.q-other{fill:#0ea5e9}
.t-dns-answer{fill:#1e3a8a}
.t-dns-query.o-unanswered,.t-dns-query.o-timeout,.t-dns-query.o-lost{fill:#fee2e2;stroke:#dc2626;stroke-width:1.5;stroke-dasharray:3 2}
.t-dns-query.o-rcode{stroke:#dc2626;stroke-width:1.5}
.t-tcp-syn,.t-tcp-synack{fill:#16a34a}.t-tcp-data{fill:#9ca3af}.t-tcp-retransmission{fill:#f59e0b}
.t-tcp-rst{fill:#dc2626}.t-tcp-fin{fill:#374151}.t-tcp-stall{fill:#fbbf24;fill-opacity:.45}
.t-icmp-ptb{fill:#db2777}.t-icmp-unreach{fill:#7f1d1d}.t-icmp-other{fill:#a16207}
.agg{fill:#d1d5db;stroke:#c4c8ce;stroke-width:1.5;vector-effect:non-scaling-stroke}
#lanes.has-sel .m{opacity:.35}
#lanes.has-sel .m.hl,.m.hl{opacity:1;stroke:#111827;stroke-width:2;stroke-dasharray:none}
.m.hl.o-unanswered,.m.hl.o-timeout,.m.hl.o-lost,#lanes .m.hl.o-unanswered,#lanes .m.hl.o-timeout,#lanes .m.hl.o-lost{stroke:#dc2626;stroke-dasharray:3 2}
.m.flash{stroke:#2563eb;stroke-width:3}
#tip{position:fixed;z-index:10;pointer-events:none;background:#111827;color:#f9fafb;font-size:12px;padding:6px 8px;border-radius:4px;max-width:460px;overflow-wrap:anywhere;box-shadow:0 2px 8px rgba(0,0,0,.25)}
#tip[hidden]{display:none}
#tip div{margin:1px 0}#tip b{color:#9ca3af;font-weight:500;margin-right:6px}
`;

/**
 * The report's script: src/report/html/client/report-client.ts, type-checked and linted like the
 * rest, compiled by `npm run build` to dist/client/report-client.js. Read once, as it ships: its
 * text, and so its CSP hash, is exactly what the page runs.
 */
export const CLIENT_JS = readClientScript('report-client.js');

/** The correlation ladder's script (client/correlation-client.ts), compiled by the build. */
export const CORRELATION_CLIENT_JS = readClientScript('correlation-client.js');
