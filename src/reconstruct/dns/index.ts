export { DnsReconstructor } from './reconstructor.js';
export { lookupPattern } from './records.js';
export * from './types.js';
