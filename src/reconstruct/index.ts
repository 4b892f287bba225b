// reconstruct/: DNS transactions and lookups, TCP connections and ICMP errors, and the timeline lanes.
export * from './dns/index.js';
export * from './path/index.js';
export * from './timeline.js';
