// Hand-built reports for the report renderers: schema-valid (checked with Report.parse), with a
// story a reader recognises. Times are µs since 1970 from T0; frames are Wireshark frame numbers.
import { Report, SCHEMA_VERSION, type Finding, type Incident, type TimelineLane, type TimelineMark } from '../../src/report/schema.js';

export const T0 = 1_717_000_000_000_000; // 2024-05-29T16:26:40Z
export const ms = (n: number): number => Math.round(n * 1000);

export const mark = (m: Partial<TimelineMark> & Pick<TimelineMark, 't0' | 'type' | 'frame'>): TimelineMark => ({
  t1: null,
  frames: [m.frame],
  label: '',
  detail: '',
  outcome: 'ok',
  ...m,
});

export const lane = (l: Partial<TimelineLane> & Pick<TimelineLane, 'id' | 'kind'>): TimelineLane => ({
  label: l.id,
  findingIds: [],
  marks: [],
  omittedMarks: 0,
  ...l,
});

/** One finding as an incident of one occurrence, keeping its id (tests address it by that id). */
export const incidentOf = (f: Finding, more: readonly Finding[] = []): Incident => {
  const all = [f, ...more];
  const tally = (values: (string | undefined)[]) => {
    const counts = new Map<string, number>();
    for (const v of values) if (v !== undefined) counts.set(v, (counts.get(v) ?? 0) + 1);
    return { count: counts.size, top: [...counts].map(([value, occurrences]) => ({ value, occurrences })) };
  };
  const delays = all.flatMap((o) => (o.impact.delayMicros === undefined ? [] : [o.impact.delayMicros])).sort((a, b) => a - b);
  return {
    ...f,
    cause: { party: `${f.kind} at ${f.server ?? 'somewhere'}`, key: [f.server ?? ''] },
    count: all.length,
    clients: tally(all.map((o) => o.client)),
    servers: tally(all.map((o) => o.server)),
    nameTally: tally(all.flatMap((o) => o.names)),
    delay: { measured: delays.length, totalMicros: delays.reduce((a, b) => a + b, 0), medianMicros: delays[Math.floor(delays.length / 2)] ?? null, maxMicros: delays.at(-1) ?? null },
    representatives: { first: f.id, worst: f.id, last: all.at(-1)!.id },
    occurrences: all,
  };
};

export const finding = (f: Partial<Finding> & Pick<Finding, 'id' | 'kind' | 'severity'>): Finding => {
  const evidence = f.evidence ?? [];
  return {
    summary: `${f.kind} found`,
    start: evidence[0]?.time ?? T0,
    end: evidence.at(-1)?.time ?? T0,
    names: [],
    evidence,
    impact: { description: 'slow' },
    confidence: { level: 'high', reason: 'seen in the capture' },
    remedy: 'fix it',
    displayFilter: evidence.length ? `frame.number in {${evidence.map((e) => e.frame).join(' ')}}` : 'frame',
    details: {},
    ...f,
  };
};

export interface ScenarioOptions {
  /** The name looked up (a capture string: put markup here to test escaping). */
  name?: string;
  file?: string;
  /** Strings used for every other capture-derived text field (labels, details, roles, summaries). */
  hostile?: string;
}

const CLIENT = '2001:db8::10';
const RESOLVER = '2001:db8::53';
const SERVER = '2001:db8:1::443';

/**
 * A dual-stack morning: the AAAA reply of a same-port A/AAAA pair is dropped (5 s retry), then the
 * HTTPS connection to the answer stalls on a PMTUD blackhole (PTB seen once, data retransmitted).
 */
export function scenarioReport(opt: ScenarioOptions = {}): Report {
  const name = opt.name ?? 'api.example.com';
  const x = opt.hostile ?? '';
  const dnsLane = lane({
    id: `dns ${CLIENT} ${RESOLVER}`,
    kind: 'dns',
    label: `DNS ${CLIENT} → ${RESOLVER}${x}`,
    findingIds: ['dns.same_port_reply_drop#1'],
    marks: [
      mark({ t0: T0 + ms(0), t1: T0 + ms(12), type: 'dns-query', frame: 1, frames: [1, 3], label: `A ${name}`, detail: `id 0x1a2b port 40000 udp; answer frame 3${x}`, outcome: 'answered' }),
      mark({ t0: T0 + ms(0.2), type: 'dns-query', frame: 2, label: `AAAA ${name}`, detail: `id 0x1a2c port 40000 udp${x}`, outcome: 'unanswered' }),
      mark({ t0: T0 + ms(5000), t1: T0 + ms(5011), type: 'dns-query', frame: 4, frames: [4, 5], label: `A ${name}`, detail: 'id 0x3c4d port 40000 udp', outcome: 'answered' }),
      mark({ t0: T0 + ms(5011.5), t1: T0 + ms(5023), type: 'dns-query', frame: 6, frames: [6, 7], label: `AAAA ${name}`, detail: 'id 0x3c4e port 40000 udp', outcome: 'answered' }),
    ],
  });
  const tcpMarks: TimelineMark[] = [
    mark({ t0: T0 + ms(5030), type: 'tcp-syn', frame: 8, label: 'SYN', detail: `[${CLIENT}]:51000 → [${SERVER}]:443 mss 1440` }),
    mark({ t0: T0 + ms(5042), type: 'tcp-synack', frame: 9, label: 'SYN-ACK', detail: 'mss 1440' }),
    mark({ t0: T0 + ms(5043), t1: T0 + ms(5044), type: 'tcp-data', frame: 10, frames: [10, 11], label: '517 B', detail: 'largest ip 557 B' }),
    mark({ t0: T0 + ms(5056), type: 'icmp-ptb', frame: 12, label: 'PTB mtu 1280', detail: `from 2001:db8:ff::1 quoting ${SERVER} 443 → ${CLIENT} 51000${x}`, outcome: 'error' }),
    mark({ t0: T0 + ms(5260), type: 'tcp-retransmission', frame: 13, label: 'retransmission 1428 B', detail: 'ip 1500 B', outcome: 'retransmission' }),
    mark({ t0: T0 + ms(5680), type: 'tcp-retransmission', frame: 14, label: 'retransmission 1428 B', detail: 'ip 1500 B', outcome: 'retransmission' }),
    mark({ t0: T0 + ms(6500), type: 'tcp-weird-future-type', frame: 15, label: `mystery${x}`, detail: x, outcome: `strange${x}` }),
    mark({ t0: T0 + ms(7000), type: 'tcp-rst', frame: 16, label: 'RST', outcome: 'reset' }),
  ];
  const tcpLane = lane({
    id: `tcp ${CLIENT} 51000 ${SERVER} 443`,
    kind: 'tcp',
    label: `TCP [${CLIENT}]:51000 → [${SERVER}]:443`,
    findingIds: ['path.pmtud_blackhole#13'],
    marks: tcpMarks,
  });
  const contextLane = lane({
    id: 'dns 192.0.2.10 192.0.2.53',
    kind: 'dns',
    label: 'DNS 192.0.2.10 → 192.0.2.53',
    marks: [mark({ t0: T0 + ms(100), t1: T0 + ms(104), type: 'dns-query', frame: 20, frames: [20, 21], label: `PTR 10.2.0.192.in-addr.arpa${x}`, outcome: 'rcode-3' })],
  });
  const findings: Finding[] = [
    finding({
      id: 'path.pmtud_blackhole#13',
      kind: 'path.pmtud_blackhole',
      severity: 'error',
      summary: `Full-size segments to ${CLIENT} never arrive after the handshake${x}`,
      client: CLIENT,
      server: SERVER,
      names: [name],
      evidence: [
        { frame: 9, time: T0 + ms(5042), role: 'SYN-ACK mss 1440', src: SERVER, dst: CLIENT },
        { frame: 12, time: T0 + ms(5056), role: `PTB mtu 1280${x}`, src: '2001:db8:ff::1', dst: SERVER, detail: x || undefined },
        { frame: 13, time: T0 + ms(5260), role: 'retransmission', src: SERVER, dst: CLIENT, detail: 'ip 1500 B' },
        { frame: 14, time: T0 + ms(5680), role: 'retransmission', src: SERVER, dst: CLIENT, detail: 'ip 1500 B' },
      ],
      impact: { description: `connection stalls, reset after 2 s${x}`, delayMicros: ms(1958), stalledBytes: 1428 },
      remedy: 'Let ICMPv6 Packet Too Big through every firewall on the path (RFC 4890), or clamp the MSS.',
      displayFilter: `ipv6.addr == ${SERVER} && tcp.port == 51000 || icmpv6.type == 2`,
      details: { mtu: 1280, note: x || 'none', frames: [12, 13, 14] },
    }),
    finding({
      id: 'dns.same_port_reply_drop#1',
      kind: 'dns.same_port_reply_drop',
      severity: 'warning',
      summary: `AAAA reply for ${name} lost: same-port A/AAAA pair, retried after 5.00 s`,
      client: CLIENT,
      server: RESOLVER,
      names: [name],
      evidence: [
        { frame: 1, time: T0, role: 'A query', src: CLIENT, dst: RESOLVER, detail: 'port 40000' },
        { frame: 2, time: T0 + ms(0.2), role: 'AAAA query (reply lost)', src: CLIENT, dst: RESOLVER, detail: `port 40000 ${name}` },
        { frame: 3, time: T0 + ms(12), role: 'A reply', src: RESOLVER, dst: CLIENT },
        { frame: 6, time: T0 + ms(5011.5), role: 'AAAA retry', src: CLIENT, dst: RESOLVER },
      ],
      impact: { description: 'every lookup of this name waits for the resolver timeout', delayMicros: ms(5023), occurrences: 1 },
      confidence: { level: 'medium', reason: `one lookup only${x}` },
      remedy: 'options single-request-reopen in /etc/resolv.conf; fix the firewall UDP session handling',
      displayFilter: `dns && udp.port == 40000 && ipv6.addr == ${CLIENT}`,
    }),
    finding({
      id: 'dns.local_zone_leak#20',
      kind: 'dns.local_zone_leak',
      severity: 'info',
      summary: `PTR for a private address sent upstream${x}`,
      names: [`10.2.0.192.in-addr.arpa${x}`],
      evidence: [{ frame: 20, time: T0 + ms(100), role: 'PTR query', src: '192.0.2.10', dst: '192.0.2.53' }],
      remedy: 'serve RFC 6303 zones locally',
      confidence: { level: 'low', reason: 'one query' },
    }),
  ];
  const overview = { bucketMicros: ms(100), packets: Array.from({ length: 71 }, (_, i) => (i === 0 || i === 50 ? 8 : i % 7 === 0 ? 2 : 0)) };
  return Report.parse({
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'dualscope', version: '0.1.0' },
    generatedAt: '2024-05-29T17:00:00.000Z',
    capture: {
      file: opt.file ?? 'samples/morning.pcapng',
      format: 'pcapng',
      gzip: false,
      byteOrder: 'little',
      resolution: 'us',
      linkTypes: [{ value: 1, name: 'ETHERNET' }],
      interfaces: 1,
      packets: 21,
      bytes: 4096,
      firstTime: T0,
      lastTime: T0 + ms(7000),
      durationMicros: ms(7000),
      truncated: false,
      skippedBytes: 0,
      droppedByCapture: null,
    },
    anomalies: { 'udp.short_header': 0, 'dns.name_loop': 1 },
    statistics: { dns: { answered: 3, timeout: 1 }, tcp: { reset: 1 }, icmp: { 'packet-too-big': 1 } },
    counts: { info: 1, warning: 1, error: 1, occurrences: findings.length },
    findings: findings.map((f) => incidentOf(f)),
    timeline: { start: T0, end: T0 + ms(7000), overview, lanes: [dnsLane, tcpLane, contextLane], omittedLanes: 0, packetsWithoutLane: 0 },
  });
}

/** A report as big as the collector could ever make it and then some: `marks` marks over `lanes` lanes. */
export function bigReport(marks: number, lanes = 1000): Report {
  const base = scenarioReport();
  const perLane = Math.ceil(marks / lanes);
  const span = ms(3_600_000); // one hour
  const types = ['tcp-data', 'tcp-data', 'tcp-data', 'tcp-retransmission', 'dns-query', 'tcp-syn'];
  const out: TimelineLane[] = [...base.timeline.lanes];
  let frame = 100;
  for (let l = 0; l < lanes; l++) {
    const ms_: TimelineMark[] = [];
    for (let i = 0; i < perLane && frame - 100 < marks; i++, frame++) {
      const t0 = T0 + Math.floor(((l * perLane + i) / marks) * span);
      const type = types[frame % types.length];
      ms_.push(mark({ t0, t1: type === 'tcp-data' ? t0 + 500 : null, type, frame, label: `${frame % 3 ? 'A' : 'AAAA'} host-${frame}.example.com`, detail: `[2001:db8::${l.toString(16)}]:${1024 + i} → [2001:db8::1]:443 len 1428` }));
    }
    out.push(lane({ id: `tcp lane ${l}`, kind: l % 2 ? 'tcp' : 'dns', label: `TCP [2001:db8::${l.toString(16)}]:x → [2001:db8::1]:443`, marks: ms_, omittedMarks: 17 }));
  }
  return Report.parse({
    ...base,
    capture: { ...base.capture, packets: 1_000_000, lastTime: T0 + span, durationMicros: span },
    timeline: { ...base.timeline, end: T0 + span, lanes: out, omittedLanes: 250, packetsWithoutLane: 12_345, overview: { bucketMicros: ms(1000), packets: Array.from({ length: 3600 }, (_, i) => 200 + (i % 50)) } },
  });
}
