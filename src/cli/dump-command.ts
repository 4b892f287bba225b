// `dualscope dump FILE…`: one line per packet, like `tcpdump -nn -r`, or NDJSON with the decoded
// fields (`--ndjson`) — what the differential tests compare with tshark.
import { Anomalies, formatEpoch } from '../core/index.js';
import { PacketDecoder, TcpFlag, type DnsMessage, type Packet } from '../decode/index.js';
import { readCapture } from '../readers/index.js';
import { qtypeName } from '../reconstruct/dns/index.js';
import { terminalSafe } from '../report/index.js';
import type { DumpCliOptions } from './options.js';

export interface DumpResult {
  file: string;
  packets: number;
  truncated: boolean;
  anomalies: Anomalies;
}

/** Writes through a buffer: one write() per packet would dominate the run time. */
class LineWriter {
  #buf: string[] = [];
  #size = 0;
  line(s: string): void {
    this.#buf.push(s);
    this.#size += s.length;
    if (this.#size > 1 << 16) this.flush();
  }
  flush(): void {
    if (this.#buf.length === 0) return;
    process.stdout.write(`${this.#buf.join('\n')}\n`);
    this.#buf = [];
    this.#size = 0;
  }
}

/** Thrown from the frame callback once `--count` packets are out: the reader stops there. */
class StopDump extends Error {}

export async function dumpFile(file: string, options: DumpCliOptions): Promise<DumpResult> {
  const anomalies = new Anomalies();
  const decoder = new PacketDecoder(anomalies);
  const out = new LineWriter();
  let packets = 0;
  let nextExpire = Number.NEGATIVE_INFINITY;
  let info;
  let stopped = false;
  try {
    info = await readCapture(file, (frame) => {
      if (options.count !== undefined && packets >= options.count) {
        stopped = true;
        throw new StopDump();
      }
      packets++;
      let p: Packet | undefined;
      try {
        p = decoder.decode(frame);
      } catch {
        anomalies.note('analyze.decode_exception');
      }
      if (frame.time >= nextExpire) {
        nextExpire = frame.time + 1_000_000;
        decoder.expire(frame.time);
      }
      if (options.ndjson) out.line(JSON.stringify(p ?? { frame: frame.index, time: frame.time, caplen: frame.caplen, origlen: frame.origlen, linkType: frame.linkType, undecoded: true }));
      else out.line(p ? packetLine(p) : `${frame.index} ${formatEpoch(frame.time, frame.nanos)} [link ${frame.linkType}, ${frame.caplen} bytes, not decoded]`);
    }, anomalies);
  } catch (e) {
    // Our own stop is success whatever came back (the reader passes it through unchanged).
    if (!stopped && !(e instanceof StopDump)) throw e;
  } finally {
    out.flush(); // the lines written before an error still go out
  }
  return { file, packets, truncated: info?.truncated ?? false, anomalies };
}

export function packetLine(p: Packet): string {
  const head = `${p.frame} ${formatEpoch(p.time, p.nanos)}`;
  const ip = p.ip;
  if (!ip) return `${head} link ${p.linkType}, ${p.caplen} bytes (no IP)`;
  const fam = ip.version === 6 ? 'IP6' : 'IP';
  const ep = (addr: string, port: number | undefined): string => (port === undefined ? addr : `${addr}.${port}`);
  const frag = ip.reassembled ? ` (reassembled from ${ip.fragmentFrames?.length ?? 0} fragments)` : ip.fragment ? ' (fragment)' : '';
  if (p.tcp) {
    const t = p.tcp;
    const flags = tcpFlags(t.flags);
    const opts = [t.mss !== undefined && `mss ${t.mss}`, t.windowScale !== undefined && `wscale ${t.windowScale}`, t.sackPermitted && 'sackOK', t.sack && `sack ${t.sack.length / 2}`].filter(Boolean).join(',');
    const dns = p.dns.map(dnsText).join('; ');
    return `${head} ${fam} ${ep(ip.src, t.srcPort)} > ${ep(ip.dst, t.dstPort)}: Flags [${flags}], seq ${t.seq}, ack ${t.ack}, win ${t.window}${opts ? `, options [${opts}]` : ''}, length ${t.payloadLength}${dns ? ` ${dns}` : ''}${frag}`;
  }
  if (p.udp) {
    const u = p.udp;
    const dns = p.dns.map(dnsText).join('; ');
    return `${head} ${fam} ${ep(ip.src, u.srcPort)} > ${ep(ip.dst, u.dstPort)}: UDP, length ${u.length - 8}${dns ? ` ${dns}` : ''}${frag}`;
  }
  if (p.icmp) {
    const i = p.icmp;
    const q = i.quoted;
    const quoted = q ? ` quoting ${ep(q.src, q.srcPort)} > ${ep(q.dst, q.dstPort)} proto ${q.protocol} len ${q.length}${q.tcpSeq !== undefined ? ` seq ${q.tcpSeq}` : ''}` : '';
    return `${head} ${fam} ${ip.src} > ${ip.dst}: ICMP${i.version === 6 ? '6' : ''} ${i.kind} type ${i.type} code ${i.code}${i.mtu !== undefined ? ` mtu ${i.mtu}` : ''}${quoted}, length ${ip.length}${frag}`;
  }
  return `${head} ${fam} ${ip.src} > ${ip.dst}: proto ${ip.protocol}, length ${ip.length}${frag}`;
}

function tcpFlags(f: number): string {
  let s = '';
  if (f & TcpFlag.SYN) s += 'S';
  if (f & TcpFlag.FIN) s += 'F';
  if (f & TcpFlag.RST) s += 'R';
  if (f & TcpFlag.PSH) s += 'P';
  if (f & TcpFlag.URG) s += 'U';
  if (f & TcpFlag.ACK) s += '.';
  return s || 'none';
}

function dnsText(m: DnsMessage): string {
  const q = m.question;
  const qs = q ? `${qtypeName(q.type)}? ${terminalSafe(q.name)}` : 'no question';
  const flags = `${m.tc ? ' TC' : ''}${m.malformed ? ' [malformed]' : ''}${m.truncated ? ' [truncated]' : ''}`;
  if (!m.qr) return `dns ${m.id} ${qs}${m.edns ? ` edns ${m.edns.udpPayloadSize}` : ''}${flags}`;
  return `dns ${m.id} rcode ${m.rcode} ${m.ancount}/${m.nscount}/${m.arcount} ${qs}${flags}`;
}
