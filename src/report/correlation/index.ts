// The report of `dualscope correlate` (schemaVersion 2): its schema, terminal summary and HTML
// ladder. An entry point of its own, apart from the report layer's index, so that `dualscope
// analyze` does not load these modules and build their schema (a 5-packet sample: 1,434 → 1,414 M
// instructions).
export * from './schema.js';
export * from './text.js';
export * from './html.js';
