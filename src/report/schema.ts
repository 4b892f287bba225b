// The JSON report: the contract people and scripts rely on. This zod schema is its single source
// of truth (`dualscope schema` prints it as JSON Schema). Bump SCHEMA_VERSION on any breaking change.
import { z } from 'zod';
import { DETECTORS, Finding as DetectedFinding, INCIDENT_GROUP, ReportedEvidence, Severity, type DetectorRegistry, type Incident as DetectedIncident } from '../detect/index.js';

// 3: findings are incidents (one per cause), each listing its occurrences (the findings of version 1).
export const SCHEMA_VERSION = 3;
/**
 * The correlated report's (src/report/correlation/schema.ts): one number never names two shapes. Here
 * so that `dualscope schema`'s help can name it without loading the correlation report's modules.
 */
export const CORRELATION_SCHEMA_VERSION = 2;

const Micros = z.number().int();

export const LinkTypeRef = z.object({ value: z.number().int(), name: z.string() });

/** How many one-sided hosts a report names (the count is always whole). */
export const ONE_SIDED_EXAMPLES = 20;

export const CaptureFacts = z.object({
  file: z.string().describe('as given on the command line (or the upload name)'),
  format: z.enum(['pcap', 'pcapng']).nullable(),
  gzip: z.boolean(),
  byteOrder: z.enum(['little', 'big']).nullable(),
  resolution: z.enum(['us', 'ns', 'other']).nullable(),
  linkTypes: z.array(LinkTypeRef),
  interfaces: z.number().int(),
  packets: z.number().int(),
  bytes: z.number().int().describe('bytes of the capture file read (compressed size for gzip input is not known)'),
  firstTime: Micros.nullable(),
  lastTime: Micros.nullable(),
  durationMicros: Micros,
  truncated: z.boolean().describe('the file ends inside a record; everything before it was analysed'),
  skippedBytes: z.number().int(),
  droppedByCapture: z.number().int().nullable().describe('drops the capture tool recorded (pcapng ISB), if any'),
  /** Present only when part of the file was not analysed: reading stopped at damage, or the file is cut. */
  notAnalysed: z
    .object({
      bytes: z.number().int().describe('bytes of the file that were not analysed'),
      share: z.number().describe('their share of the bytes read, 0..1'),
      afterFrame: z.number().int().describe('the last frame analysed before the damage'),
      reason: z.string(),
    })
    .optional(),
  /**
   * Present only when the capture lacks some host's inbound packets (a one-sided trace: captured
   * on one side of an asymmetric path, or merged from a filter on one direction). Verdicts that rest
   * on silence towards those hosts are withheld (INCIDENTS.md, "Merged or one-sided traces").
   */
  oneSided: z
    .object({
      hosts: z.number().int().describe('hosts whose inbound packets are not in the capture although they evidently received some'),
      examples: z
        .array(z.object({ host: z.string(), frame: z.number().int().describe('the packet that showed it'), time: Micros }))
        .describe(`the earliest shown of them, at most ${ONE_SIDED_EXAMPLES}`),
    })
    .optional(),
});
export type CaptureFacts = z.infer<typeof CaptureFacts>;

/** One mark on a timeline lane. Labels hold capture strings: escaped when rendered. */
export const TimelineMark = z.object({
  t0: Micros,
  t1: Micros.nullable().describe('end of a bar (answer time); null for a point or an open bar'),
  type: z.string().describe('dns-query, dns-answer, tcp-syn, tcp-rst, tcp-fin, tcp-data, icmp-ptb, icmp-unreach …'),
  frame: z.number().int(),
  frames: z.array(z.number().int()),
  label: z.string(),
  detail: z.string(),
  outcome: z.string().describe('answered, unanswered, error, ok …'),
});
export type TimelineMark = z.infer<typeof TimelineMark>;

export const TimelineLane = z.object({
  id: z.string(),
  kind: z.enum(['dns', 'tcp', 'icmp']),
  label: z.string(),
  findingIds: z.array(z.string()),
  marks: z.array(TimelineMark),
  omittedMarks: z.number().int().describe('marks not kept because the lane hit its bound'),
});
export type TimelineLane = z.infer<typeof TimelineLane>;

export const Timeline = z.object({
  start: Micros.nullable(),
  end: Micros.nullable(),
  overview: z.object({ bucketMicros: Micros, packets: z.array(z.number().int()) }),
  lanes: z.array(TimelineLane),
  omittedLanes: z.number().int().describe('lanes collected but not included (no finding, not among the busiest)'),
  packetsWithoutLane: z.number().int().describe('packets of flows beyond the lane bound: counted in the overview, not drawn in a lane'),
});
export type Timeline = z.infer<typeof Timeline>;

/**
 * The report's schema for the kinds a registry's detectors report. A finding's evidence is listed
 * without the timeline mark the detector set (that went into the timeline's lanes). The report
 * lists incidents: each has every field a finding has, the group (src/detect/incident.ts), and its
 * occurrences, each a finding exactly as its detector reported it.
 */
function reportSchema(kinds: readonly string[]) {
  const finding = DetectedFinding.extend({ kind: z.enum(kinds as readonly [string, ...string[]]), evidence: z.array(ReportedEvidence) });
  const incident = finding.extend({
    ...INCIDENT_GROUP,
    occurrences: z.array(finding).describe('every occurrence, oldest first, each exactly as its detector reported it'),
  });
  return z.object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    tool: z.object({ name: z.literal('dualscope'), version: z.string() }),
    generatedAt: z.string(),
    capture: CaptureFacts,
    anomalies: z.record(z.string(), z.number().int()).describe('every decode anomaly with its count, zeros included'),
    statistics: z.object({
      dns: z.record(z.string(), z.number()),
      tcp: z.record(z.string(), z.number()),
      icmp: z.record(z.string(), z.number()),
    }),
    counts: z.object({
      info: z.number().int(),
      warning: z.number().int(),
      error: z.number().int(),
      occurrences: z.number().int().describe('occurrences behind all incidents (the info/warning/error counts are of incidents)'),
    }),
    findings: z.array(incident).describe('one incident per cause, most severe and widest first; each lists every occurrence'),
    timeline: Timeline,
  });
}

/** The report of the detectors in src/detect/registry.ts. */
export const Report = reportSchema(DETECTORS.map((d) => d.kind));
export type Report = z.infer<typeof Report>;

/** An incident as the report lists it. */
export const Incident = Report.shape.findings.element;
export type Incident = z.infer<typeof Incident>;
/** A finding (one occurrence) as the report lists it. */
export const Finding = Incident.shape.occurrences.element;
export type Finding = z.infer<typeof Finding>;
export { Severity };

/** A detector's finding as the report lists it: its evidence without the timeline marks, keys in their order. */
export function reportedFinding(f: DetectedFinding): Finding {
  return { ...f, evidence: f.evidence.map(({ mark: _drawnAs, ...e }) => e) };
}

/** An incident as the report lists it: its evidence and its occurrences' without the timeline marks. */
export function reportedIncident(i: DetectedIncident): Incident {
  return { ...i, evidence: i.evidence.map(({ mark: _drawnAs, ...e }) => e), occurrences: i.occurrences.map(reportedFinding) };
}

const schemas = new WeakMap<DetectorRegistry, typeof Report>([[DETECTORS, Report]]);

/** The report's zod schema for a registry's detectors (DETECTORS, or more in tests). */
export function reportSchemaOf(registry: DetectorRegistry): typeof Report {
  let schema = schemas.get(registry);
  if (schema === undefined) schemas.set(registry, (schema = reportSchema(registry.map((d) => d.kind))));
  return schema;
}

/** The JSON Schema of the report, for `dualscope schema`. */
export const reportJsonSchema = (registry: DetectorRegistry = DETECTORS): unknown => z.toJSONSchema(reportSchemaOf(registry), { target: 'draft-2020-12' });
