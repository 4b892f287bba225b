// correlate/: several capture points of one incident → one verdict (`dualscope correlate`).
// Sits after analyze (each point is analysed on its own first) and before cli/server.
export { correlateFiles, correlateCollected, DEFAULT_CORRELATE_OPTIONS, type CorrelateInput, type CorrelateOptions } from './correlate.js';
export { collectPoint, packetOfFrame, type CollectedPoint, type CollectOptions } from './collect.js';
export { estimateClock, toA, type ClockEstimate, type Sample } from './clock.js';
export { joinWindowed, uniqueCandidates, consistentCandidates, pairAligned, type Candidate } from './join.js';
export { pointPacket, packetLabel, samePayload, PAYLOAD_HASH_BYTES, type PointPacket } from './signature.js';
export { flowOrders, judgeJourney, orderFor, JourneyBuilder, type Journey } from './path.js';
