export * from './time.js';
export * from './errors.js';
export * from './anomalies.js';
export * from './address.js';
export * from './link-types.js';
export * from './hash-chains.js';
