// The sharing layer: captures rewritten for someone else to open — annotated with the findings,
// cut down to their evidence, or anonymised.
export { allEvidence, annotateCapture, evidenceComments, findingComments, findingsInCapture, writeAnnotated, COMMENT_PREFIX, type AnnotateResult, type AnnotationPlan, type SharedFinding } from './annotate.js';
export { annotatePoint, pointEvidenceComments, pointFindingComments } from './annotate-points.js';
export { rewriteCapture, type RewritePlan, type RewriteResult } from './rewrite.js';
export { defaultExtractFindings, extractEvidence, originComment, originFrame, type ExtractOptions, type ExtractResult } from './extract.js';
export { anonymizeCapture, type AnonymizeResult } from './anonymize/anonymize-capture.js';
export { deriveKeys, keyFileText, loadOrCreateKey, newSecret, parseKeyFile, type AnonymizeKeys } from './anonymize/key.js';
export { PacketAnonymizer, type PacketStats } from './anonymize/packet.js';
export { PrefixMap, keptBits, IPV4_BLOCKS, IPV6_BLOCKS } from './anonymize/prefix-map.js';
export { NameMap, KEPT_TOP_LABELS } from './anonymize/names.js';
