// The sharing layer: captures rewritten for someone else to open — annotated with the findings,
// cut down to their evidence, or anonymised.
export { allEvidence, annotateCapture, evidenceComments, findingComments, COMMENT_PREFIX, type AnnotateResult, type SharedFinding } from './annotate.js';
export { rewriteCapture, type RewritePlan, type RewriteResult } from './rewrite.js';
export { defaultExtractFindings, extractEvidence, originComment, originFrame, type ExtractOptions, type ExtractResult } from './extract.js';
