// The DNS detectors, one file each, over DnsRecord (src/reconstruct/dns). Each holds bounded state
// (groups per client/server with a cap) and returns its aggregated findings at finish(). The
// registry (../registry.ts) lists them; this module only re-exports what tests and tools use.
export { LOCALLY_SERVED_ZONES, locallyServedZone } from './local-zones.js';
export { printableName, displayFilter } from './common.js';
export type { AaaaUnansweredOptions } from './aaaa-unanswered.js';
export type { LargeResponseRiskOptions } from './large-response-risk.js';
export type { LocalZoneLeakOptions } from './local-zone-leak.js';
export type { ResolverProfileOptions } from './resolver-profile.js';
export type { SamePortReplyDropOptions } from './same-port-reply-drop.js';
export type { SlowLookupOptions } from './slow-lookup.js';
