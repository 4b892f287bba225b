export { DnsReconstructor, lookupPattern } from './reconstructor.js';
export * from './types.js';
