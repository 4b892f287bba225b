// What a detector produces. The zod schema is the single source of truth for the JSON contract;
// the report layer embeds it. Incident ids are `layer.snake_case` and are never renamed.
import { z } from 'zod';
import { EVIDENCE_MARKS } from '../reconstruct/index.js';

/**
 * An incident kind as a detector names it: `layer.snake_case`. The closed list of kinds is the
 * detector registry's (src/detect/registry.ts); the report's schema turns it into an enum.
 */
export const KIND_PATTERN = /^[a-z][a-z0-9]*\.[a-z][a-z0-9_]*$/;
export const IncidentKindText = z.string().regex(KIND_PATTERN);

export const SEVERITIES = ['info', 'warning', 'error'] as const;
export const Severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof Severity>;
export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);

/** One packet that shows the incident, as the JSON report lists it. */
export const ReportedEvidence = z.object({
  frame: z.number().int().positive().describe('Wireshark frame number (1-based) in the analysed file, or in `file` when given'),
  /** Set only when the frame is in another file than the report's own (the next file of a capture set). */
  file: z.string().optional().describe('the capture file holding this frame, when it is not the analysed file (capture sets)'),
  time: z.number().int().describe('capture time, µs since 1970'),
  /** What this packet is in the story: 'A query', 'AAAA reply (lost)', 'retransmission', 'PTB' … */
  role: z.string(),
  src: z.string().optional(),
  dst: z.string().optional(),
  /** Free text: sizes, ids, flags. Came from the capture: escape when rendering. */
  detail: z.string().optional(),
});
export type ReportedEvidence = z.infer<typeof ReportedEvidence>;

/**
 * Evidence as a detector makes it: with the timeline mark that draws the packet when no flow lane
 * holds it. The report's lanes use it; the JSON contract (ReportedEvidence) leaves it out, so the
 * reports stay as they were.
 */
export const Evidence = ReportedEvidence.extend({ mark: z.enum(EVIDENCE_MARKS) });
export type Evidence = z.infer<typeof Evidence>;

export const Finding = z.object({
  /** Stable across runs of the same file: kind + first evidence frame (+ a discriminator). */
  id: z.string(),
  kind: IncidentKindText,
  severity: Severity,
  /** One line for people. Contains capture strings: escape when rendering. */
  summary: z.string(),
  start: z.number().int().describe('µs since 1970: first evidence'),
  end: z.number().int().describe('µs since 1970: last evidence'),
  client: z.string().optional(),
  server: z.string().optional(),
  names: z.array(z.string()),
  evidence: z.array(Evidence),
  impact: z.object({
    description: z.string(),
    delayMicros: z.number().int().optional(),
    stalledBytes: z.number().int().optional(),
    occurrences: z.number().int().optional(),
  }),
  confidence: z.object({ level: z.enum(['high', 'medium', 'low']), reason: z.string() }),
  remedy: z.string(),
  /** Opens the evidence in Wireshark. Built from validated addresses/ports/frame numbers only. */
  displayFilter: z.string(),
  /** Kind-specific measurements (lost reply qtype, inferred timeout, path MTU bracket …). */
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.union([z.string(), z.number()]))])),
});
export type Finding = z.infer<typeof Finding>;
