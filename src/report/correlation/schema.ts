// The JSON report of `dualscope correlate` (schemaVersion 2): several capture points of one
// incident, one verdict. Version 1 (a single capture's report, ../schema.ts) is unchanged and still
// what `analyze` writes; a version-2 file embeds each point's findings in the version-1 shape.
// All times are µs since 1970 on the REFERENCE point's clock (the first capture), unless a field
// says "own clock".
import { z } from 'zod';
import { Severity } from '../../detect/index.js';
import { CaptureFacts, CORRELATION_SCHEMA_VERSION, Finding } from '../schema.js';

const Micros = z.number().int();

export const PointClock = z.object({
  basis: z.enum(['reference', 'both-ways', 'one-way', 'none']).describe(
    'reference: this is the reference point; both-ways: bounded by packets matched in both directions; one-way: matched one way only, the offset includes an unknown one-way delay; none: nothing matched, not aligned',
  ),
  offsetMicros: z.number().nullable().describe("this point's clock minus the reference's, at the start of its capture"),
  uncertaintyMicros: z.number().nullable().describe('the true offset lies within offset ± this (null: not bounded)'),
  driftPpm: z.number().nullable().describe("this point's clock rate minus the reference's, parts per million"),
  via: z.string().nullable().describe('the point this one was aligned through, when not matched with the reference directly'),
  samples: z.number().int().describe('matched packets the estimate used'),
});
export type PointClock = z.infer<typeof PointClock>;

export const CapturePoint = z.object({
  label: z.string().describe('--label, or the file name; capture string: escape when rendering'),
  capture: CaptureFacts,
  clock: PointClock,
  firstTime: Micros.nullable().describe('first packet, reference clock'),
  lastTime: Micros.nullable().describe('last packet, reference clock'),
  ipPackets: z.number().int(),
  doubles: z.number().int().describe('second copies of a packet in this capture (`-i any` on a router records a forwarded packet in and out)'),
  matchedPackets: z.number().int().describe('IP packets this point saw that another point saw too'),
  notMatchedBeyondLimit: z.number().int().describe('IP packets beyond the per-point limit of packets kept for matching: analysed, not matched'),
  anomalies: z.record(z.string(), z.number().int()),
});
export type CapturePoint = z.infer<typeof CapturePoint>;

/** One packet at one point. */
export const Sighting = z.object({
  point: z.string(),
  frame: z.number().int().positive().describe("frame number in that point's capture"),
  time: Micros.describe('reference clock'),
  hopLimit: z.number().int(),
  src: z.string(),
  dst: z.string(),
});
export type Sighting = z.infer<typeof Sighting>;

export const Stretch = z.object({ from: z.string(), to: z.string() });

export const Loss = z.object({
  packet: z.string().describe('what the packet was; capture strings: escape when rendering'),
  flow: z.string(),
  time: Micros.describe('when the last point saw it, reference clock'),
  seenAt: z.array(Sighting),
  lostBetween: Stretch.describe('the last point that saw it and the next on its way that covered that time and did not'),
  droppedInside: z.string().nullable().describe('the last point is a router capturing in and out (`-i any`) that forwards this flow and recorded this packet coming in only: dropped inside it'),
});
export type Loss = z.infer<typeof Loss>;

export const Rewrite = z.object({
  kind: z.enum(['hop-limit', 'nat', 'mss', 'snaplen']),
  count: z.number().int(),
  example: z.string(),
});

export const StretchFacts = z.object({
  from: z.string(),
  to: z.string(),
  packets: z.number().int().describe('packets seen at both ends of the stretch'),
  lost: z.number().int(),
  delayMicros: z.object({ min: z.number(), median: z.number(), max: z.number() }).nullable().describe('after clock alignment (± both points’ uncertainty)'),
  rewrites: z.array(Rewrite).describe('what the stretch changed in packets that crossed it: hop limit (routers), addresses/ports (NAT), the MSS option (clamping), the captured length (snaplen)'),
});
export type StretchFacts = z.infer<typeof StretchFacts>;

export const FlowPath = z.object({
  flow: z.string().describe('protocol, source → destination as the first point saw them'),
  order: z.array(z.string()).describe('the points in the order the flow’s packets pass them'),
  packets: z.number().int(),
});

export const CorrelatedEvidence = z.object({
  role: z.string(),
  detail: z.string().optional(),
  src: z.string().optional(),
  dst: z.string().optional(),
  time: Micros.describe('reference clock'),
  seenAt: z.array(Sighting),
  notSeenAt: z.array(z.object({ point: z.string(), why: z.enum(['lost-before', 'outside-capture', 'not-on-path', 'not-reached']) })),
  lostBetween: Stretch.nullable(),
  delayMicros: z.number().nullable().describe('from the first to the last point that saw it'),
});
export type CorrelatedEvidence = z.infer<typeof CorrelatedEvidence>;

export const CorrelatedFinding = z.object({
  id: z.string(),
  kind: Finding.shape.kind,
  severity: Severity,
  summary: z.string(),
  start: Micros,
  end: Micros,
  status: z.enum(['proved', 'confirmed', 'single-point', 'withdrawn']).describe(
    'proved: another point saw the packet leave and the next did not; confirmed: found at several points; single-point: one point only; withdrawn: another point contradicts it (see statusReason)',
  ),
  statusReason: z.string(),
  location: z.string().nullable().describe('where the evidence vanished: "between A and B", or null'),
  views: z.array(z.object({ point: z.string(), finding: Finding })).describe('the single-capture finding at each point that found it'),
  evidence: z.array(CorrelatedEvidence),
  losses: z.array(Loss).describe('packets of this incident one point saw and the next on the way did not'),
});
export type CorrelatedFinding = z.infer<typeof CorrelatedFinding>;

export const CorrelatedReport = z.object({
  schemaVersion: z.literal(CORRELATION_SCHEMA_VERSION),
  kind: z.literal('correlation'),
  tool: z.object({ name: z.literal('dualscope'), version: z.string() }),
  generatedAt: z.string(),
  reference: z.string().describe('the point whose clock all times use'),
  overlap: z.object({
    matchedPackets: z.number().int().describe('packets seen at two or more points'),
    commonStart: Micros.nullable(),
    commonEnd: Micros.nullable(),
    note: z.string().describe('one line: whether the captures overlap'),
  }),
  points: z.array(CapturePoint),
  paths: z.array(FlowPath),
  stretches: z.array(StretchFacts),
  findings: z.array(CorrelatedFinding),
  unexplainedLosses: z.array(Loss).describe('losses not tied to a finding (bounded)'),
  omittedLosses: z.number().int(),
  counts: z.object({ info: z.number().int(), warning: z.number().int(), error: z.number().int() }),
});
export type CorrelatedReport = z.infer<typeof CorrelatedReport>;

/** The JSON Schema of the correlated report (`dualscope schema --correlate`). */
export const correlationJsonSchema = (): unknown => z.toJSONSchema(CorrelatedReport, { target: 'draft-2020-12' });
