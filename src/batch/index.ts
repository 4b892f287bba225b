// The batch layer: many archived captures → jobs on a worker pool or a queue → one SQLite index,
// queries over it and a fleet report. Sits between analyze and the command line.
export { BatchIndex, FILE_STATUSES, type CaptureSetRow, type FileRow, type FileStatus, type ScanFacts, type StoredFinding } from './batch-index.js';
export { DEFAULT_SET_OPTIONS, groupCaptureSets, ringStem, type SetCandidate, type SetMember, type SetOptions } from './capture-sets.js';
export { expandInputs, looksLikeCapture, type ExpandedInputs } from './inputs.js';
export { fingerprint, FINGERPRINT_EDGE_BYTES } from './fingerprint.js';
export { contextFiles, mapFindingFrames, MAX_SET_SLOT, SET_FRAME_BASE, setFrame, runJob, type AnalyzeJob, type Job, type JobAnalyzeOptions, type JobResult, type ScanJob, type SetMemberJob } from './jobs.js';
export { dropCaptureSet, mergeCaptureSet, setSettled, setSignature } from './set-merge.js';
export { defaultJobs, PoolClosedError, ThreadPool, type JobRunner } from './pool.js';
export { DEFAULT_BATCH_OPTIONS, reportNames, runBatch, type BatchEvents, type BatchOptions, type BatchSummary } from './run-batch.js';
export { buildFleetReport, renderFleetHtml, renderFleetJson, reportLink, type FleetIncident, type FleetIncidentFile, type FleetReport } from './fleet.js';
export { DEFAULT_WATCH_OPTIONS, watchInputs, type WatchOptions } from './watch.js';
export { queryFindings, validateHost, type FindingQuery, type FindingRow } from './query.js';
export { checkRedis, jobId, parseQueueUrl, QueueRunner, runQueueWorker, QUEUE_NAME } from './queue.js';
export { analyzeInPieces, analyzePiece, DEFAULT_PIECE_CONTEXT_SECONDS, MIN_SPLIT_BYTES, PIECE_BYTES_ENV, shouldSplit, type PieceJob, type PiecesOptions } from './pieces.js';
