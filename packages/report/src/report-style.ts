/** The report's stylesheet (inline; system fonts only, so nothing is fetched). */
export const REPORT_STYLE = `
:root { color-scheme: light; --muted: #666; --line: #ddd; --accent: #4e79a7; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; color: #1d1d1f; background: #fafafa; }
header, main { max-width: 1200px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 20px; }
h1 { font-size: 22px; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 17px; margin: 28px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 14px; margin: 14px 0 6px; }
section { margin-bottom: 8px; }
.meta, .muted, .note, small { color: var(--muted); }
.error { color: #b00020; font-weight: 600; }
code { font-family: ui-monospace, monospace; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 10px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 20px; font-weight: 600; margin: 2px 0; font-variant-numeric: tabular-nums; }
.card .note { font-size: 12px; }
.money { font-variant-numeric: tabular-nums; white-space: nowrap; }
.chart-box { position: relative; height: 260px; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px; }
.chart-box.small { height: 220px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 16px; }
table { border-collapse: collapse; width: 100%; background: #fff; margin: 8px 0; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.summary { max-width: 420px; overflow-wrap: anywhere; }
details { margin: 4px 0; }
summary { cursor: pointer; }
#cost-tree ul { list-style: none; padding-left: 20px; margin: 4px 0; }
#cost-tree li { margin: 3px 0; }
.node-name { font-weight: 600; }
.breakdown { display: inline-flex; flex-wrap: wrap; gap: 10px; margin-left: 8px; font-size: 12px; color: var(--muted); }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin: 0 4px 0 8px; vertical-align: middle; }
.status { font-weight: 600; }
.status-done { color: #2e7d32; }
.status-partial, .status-budget_exceeded { color: #b26a00; }
.status-failed { color: #b00020; }
.status-skipped, .status-cancelled { color: var(--muted); }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px; }
`;
