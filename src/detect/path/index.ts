// The path detectors: PMTUD blackholes, PTB problems, IPv6 ⇄ IPv4 fallback delay, MSS clamping,
// failed neighbour discovery. The registry (../registry.ts) lists them; this module only re-exports
// what tests and tools use.
export type { FallbackClass, FallbackDelayOptions } from './fallback-delay.js';
export type { MssClampedOptions } from './mss-clamped.js';
export type { NeighborUnreachableOptions } from './neighbor-unreachable.js';
export type { PmtudBlackholeOptions } from './pmtud-blackhole.js';
export type { PtbProblemOptions } from './ptb-problem.js';
