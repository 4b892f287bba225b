export * from './schema.js';
export * from './json.js';
export * from './text.js';
export * from './html.js';
export { readClientScript } from './html/assets.js';
export * from './timeline-lanes.js';
export * from './correlation-schema.js';
export * from './correlation-text.js';
export * from './correlation-html.js';
