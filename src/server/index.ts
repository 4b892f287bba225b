// The upload service behind `dualscope serve`.
export { startServer, DEFAULT_SERVE_OPTIONS, cleanName, REPORT_CSP, MAX_GZIP_RATIO, type ServeOptions, type RunningServer } from './server.js';
export { Store, isId, newId, STATUSES, type AnalysisSummary, type Status, type FindingCounts } from './store.js';
export { isLoopbackHost, MIN_TOKEN_LENGTH } from './auth.js';
export { formatBytes } from './page.js';
