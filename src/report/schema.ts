// The JSON report: the contract people and scripts rely on. This zod schema is its single source
// of truth (`dualscope schema` prints it as JSON Schema). Bump SCHEMA_VERSION on any breaking change.
import { z } from 'zod';
import { Finding, Incident, INCIDENT_KINDS, Severity } from '../detect/index.js';

// 2: findings are incidents (one per cause), each listing its occurrences (the findings of version 1).
export const SCHEMA_VERSION = 2;

const Micros = z.number().int();

export const LinkTypeRef = z.object({ value: z.number().int(), name: z.string() });

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

export const Report = z.object({
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
  findings: z.array(Incident).describe('one incident per cause, most severe and widest first; each lists every occurrence'),
  timeline: Timeline,
});
export type Report = z.infer<typeof Report>;

export { Finding, Incident, Severity, INCIDENT_KINDS };

/** The JSON Schema of the report, for `dualscope schema`. */
export const reportJsonSchema = (): unknown => z.toJSONSchema(Report, { target: 'draft-2020-12' });
