export * from './finding.js';
export * from './detector.js';
