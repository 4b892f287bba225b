export * from './schema.js';
export * from './json.js';
export * from './text.js';
export * from './html.js';
export { readClientScript } from './html/assets.js';
export * from './timeline-lanes.js';
export { escapeAttribute, escapeText } from './html/escape.js';
export { cspMeta, DOCTYPE, el, end, fragment, inlineStyle, relativeLink, start, type Markup } from './html/markup.js';
