import { PALETTE } from './chart/palette.js';

/**
 * The report's stylesheet, inlined: system fonts only, nothing fetched. Light only on purpose:
 * the page is printed, pasted and screenshotted, and has to look the same everywhere.
 */
export const REPORT_CSS = `
:root{color-scheme:light;--text:${PALETTE.text};--muted:${PALETTE.muted};--line:#d1d9e0;--soft:#f6f8fa;--ok:#1a7f37;--bad:#cf222e}
*{box-sizing:border-box}
body{margin:0;background:#eef1f4;color:var(--text);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1040px;margin:0 auto;padding:24px 20px 40px}
h1{margin:0;font-size:22px;line-height:1.3}
h2{margin:0 0 12px;font-size:17px}
section,header.verdict{background:#fff;border:1px solid var(--line);border-radius:10px;margin:0 0 16px;padding:18px 20px}
.verdict{display:flex;gap:20px;align-items:flex-start;border-left:8px solid var(--verdict)}
.verdict-badge{flex:none;background:var(--verdict);color:#fff;font-weight:800;font-size:26px;letter-spacing:.04em;padding:10px 18px;border-radius:8px;white-space:nowrap}
.verdict[data-verdict="capacity"] .verdict-badge{color:#1f2328;background:#f2cc60}
.verdict-text h1{color:var(--verdict);padding-top:4px}
.reasons{margin:8px 0 0;padding-left:20px}
.reasons li{margin:2px 0}
.facts{display:grid;grid-template-columns:repeat(4,1fr);gap:10px;padding:14px}
@media (max-width:720px){.facts{grid-template-columns:repeat(2,1fr)}}
.fact{background:var(--soft);border-radius:8px;padding:10px 12px}
.fact-label{color:var(--muted);font-size:12px;font-weight:600;text-transform:uppercase;letter-spacing:.05em}
.fact-value{font-size:26px;font-weight:700;font-variant-numeric:tabular-nums;line-height:1.25}
.fact-verdict .fact-value{color:var(--verdict)}
.fact-note{color:var(--muted);font-size:12.5px}
.chart-wrap{position:relative}
.chart-wrap svg{display:block;width:100%;height:auto}
.chart-tip{position:absolute;pointer-events:none;background:#1f2328;color:#fff;font-size:12.5px;padding:6px 9px;border-radius:6px;white-space:nowrap;display:none}
.caption{color:var(--muted);font-size:13px;margin:8px 0 0}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
thead th{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em;border-bottom:2px solid var(--line)}
tbody th{font-weight:600}
.num{text-align:right;font-variant-numeric:tabular-nums}
tfoot th,tfoot td{font-weight:700;border-bottom:none;border-top:2px solid var(--line)}
.table-scroll{overflow-x:auto}
.ok{color:var(--ok);font-weight:600}
.bad{color:var(--bad);font-weight:600}
.settling{color:var(--muted)}
.note{color:var(--muted);font-size:13px;margin:8px 0 0}
dl{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:0 32px;margin:0}
dl div{display:flex;gap:12px;padding:5px 0;border-bottom:1px solid var(--soft)}
dt{flex:none;width:96px;color:var(--muted);font-size:13px;padding-top:1px}
dd{margin:0;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;overflow-wrap:anywhere}
footer{color:var(--muted);font-size:12.5px;text-align:center}
@media print{body{background:#fff}section,header.verdict{break-inside:avoid}}
`;
