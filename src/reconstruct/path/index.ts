// Path reconstruction: TCP connections, ICMP errors matched to the flows they quote, names from DNS.
export { PathReconstructor, flowKey } from './reconstructor.js';
export { DEFAULT_PATH_OPTIONS, type PathOptions } from './options.js';
export { unwrapSeq } from './direction.js';
export type * from './records.js';
