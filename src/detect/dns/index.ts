// The DNS detectors, one file each, over DnsRecord (src/reconstruct/dns). Each holds bounded state
// (groups per client/server with a cap) and returns its aggregated findings at finish().
import type { DnsRecord } from '../../reconstruct/dns/index.js';
import type { Detector } from '../detector.js';
import { createAaaaUnanswered, DEFAULT_AAAA_UNANSWERED_OPTIONS, type AaaaUnansweredOptions } from './aaaa-unanswered.js';
import { createLargeResponseRisk, DEFAULT_LARGE_RESPONSE_RISK_OPTIONS, type LargeResponseRiskOptions } from './large-response-risk.js';
import { createLocalZoneLeak, DEFAULT_LOCAL_ZONE_LEAK_OPTIONS, type LocalZoneLeakOptions } from './local-zone-leak.js';
import { createResolverProfile, DEFAULT_RESOLVER_PROFILE_OPTIONS, type ResolverProfileOptions } from './resolver-profile.js';
import { createSamePortReplyDrop, DEFAULT_SAME_PORT_REPLY_DROP_OPTIONS, type SamePortReplyDropOptions } from './same-port-reply-drop.js';
import { createSlowLookup, DEFAULT_SLOW_LOOKUP_OPTIONS, type SlowLookupOptions } from './slow-lookup.js';

export interface DnsDetectOptions {
  samePortReplyDrop: Partial<SamePortReplyDropOptions>;
  aaaaUnanswered: Partial<AaaaUnansweredOptions>;
  localZoneLeak: Partial<LocalZoneLeakOptions>;
  slowLookup: Partial<SlowLookupOptions>;
  largeResponseRisk: Partial<LargeResponseRiskOptions>;
  resolverProfile: Partial<ResolverProfileOptions>;
}

/** Every default, for documentation and for the CLI to show. */
export const DEFAULT_DNS_DETECT_OPTIONS = {
  samePortReplyDrop: DEFAULT_SAME_PORT_REPLY_DROP_OPTIONS,
  aaaaUnanswered: DEFAULT_AAAA_UNANSWERED_OPTIONS,
  localZoneLeak: DEFAULT_LOCAL_ZONE_LEAK_OPTIONS,
  slowLookup: DEFAULT_SLOW_LOOKUP_OPTIONS,
  largeResponseRisk: DEFAULT_LARGE_RESPONSE_RISK_OPTIONS,
  resolverProfile: DEFAULT_RESOLVER_PROFILE_OPTIONS,
} as const;

export function createDnsDetectors(options: Partial<DnsDetectOptions> = {}): Detector<DnsRecord>[] {
  return [
    createSamePortReplyDrop(options.samePortReplyDrop),
    createAaaaUnanswered(options.aaaaUnanswered),
    createLocalZoneLeak(options.localZoneLeak),
    createSlowLookup(options.slowLookup),
    createLargeResponseRisk(options.largeResponseRisk),
    createResolverProfile(options.resolverProfile),
  ];
}

export { createAaaaUnanswered, createLargeResponseRisk, createLocalZoneLeak, createResolverProfile, createSamePortReplyDrop, createSlowLookup };
export { LOCALLY_SERVED_ZONES, locallyServedZone } from './local-zones.js';
export { aaaaProblem, samePortDrop, printableName, displayFilter } from './common.js';
export type { AaaaUnansweredOptions, LargeResponseRiskOptions, LocalZoneLeakOptions, ResolverProfileOptions, SamePortReplyDropOptions, SlowLookupOptions };
