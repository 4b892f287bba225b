export * from './schema.js';
export * from './json.js';
export * from './text.js';
export * from './html.js';
export * from './timeline-lanes.js';
