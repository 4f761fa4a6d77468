export type { CacheSaving } from './cache-saving.js';
export { formatNanoUsd } from './html.js';
export { type HtmlReportOptions, renderHtmlReport } from './render-html-report.js';
export { type LaneAssignment, timelineLanes } from './timeline-lanes.js';
