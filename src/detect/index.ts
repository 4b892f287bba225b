export * from './finding.js';
export * from './detector.js';
export * from './registry.js';
export * from './dns/index.js';
export * from './path/index.js';
export * from './finding-set.js';
export * from './incident.js';
export * from './incident-grouper.js';
