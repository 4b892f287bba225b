// The closed list of things that can be wrong with input. Names are `layer.snake_case`, part of the
// JSON contract: add, never rename. Decoders note and return; the report shows every count.

export const ANOMALIES = [
  // readers
  'pcap.truncated_record', // the file ends inside a record header or body
  'pcap.caplen_too_large', // a record claims more bytes than any capture can hold
  'pcap.caplen_over_snaplen', // caplen above the file's snaplen (kept, as tshark does)
  'pcap.origlen_below_caplen', // original length smaller than captured length
  'pcap.bad_subsecond', // µs ≥ 1e6 or ns ≥ 1e9 (normalised, as tshark does)
  'pcapng.truncated_block', // the file ends inside a block
  'pcapng.bad_block_length', // a block length that is not a multiple of 4, too small, or too large
  'pcapng.block_length_mismatch', // leading and trailing block lengths differ
  'pcapng.unknown_interface', // a packet names an interface that no IDB described
  'pcapng.bad_option', // an option runs past its block
  'pcapng.skipped_block', // a block type we do not read (counted, skipped by length)
  'pcapng.packet_before_section', // bytes before the first Section Header Block
  'pcapng.unsupported_version', // a later section's SHB has a version we cannot read: reading stops there
  'pcapng.bad_section_header', // a later SHB with a bad byte-order magic: reading stops there
  'pcapng.bad_timestamp', // ticks + if_tsoffset outside ±2^53 µs (years 1685–2255): the frame gets the previous frame's time
  'pcapng.table_limit', // an interface, link type or drop counter past the per-file bound (MAX_INTERFACES …): not kept
  'gzip.truncated', // the gzip stream ends early or is corrupt after some data
  // link layer
  'link.unsupported', // a link type we do not decode
  'link.short_header',
  'link.unknown_ethertype', // not IPv4/IPv6/VLAN/PPPoE/ARP: skipped, counted
  'link.too_many_vlan_tags',
  'link.bad_pppoe',
  // IP
  'ipv4.short_header',
  'ipv4.bad_header_length',
  'ipv4.bad_total_length',
  'ipv4.bad_version',
  'ipv4.bad_option', // an IPv4 option runs past the header or has a length below 2
  'ipv6.short_header',
  'ipv6.bad_version',
  'ipv6.bad_payload_length',
  'ipv6.bad_extension_header',
  'ipv6.too_many_extension_headers',
  'ip.fragment_overlap',
  'ip.fragment_limit', // reassembly state full: oldest datagram dropped
  'ip.fragment_timeout', // fragments that never completed a datagram
  'ip.tunnel_too_deep',
  'ip.fragment_too_big', // fragment offset + length beyond 65535 octets
  // transport
  'udp.short_header',
  'udp.bad_length',
  'tcp.short_header',
  'tcp.bad_data_offset',
  'tcp.bad_option',
  'icmp.short_header',
  'icmpv6.short_header',
  'icmpv6.ptb_below_min_mtu',
  'icmp.bad_quote', // an ICMP error whose quoted packet is missing or shorter than an IP header
  // DNS
  'dns.short_header',
  'dns.bad_name', // label too long, bad label type, name over 255 octets
  'dns.name_loop', // compression pointers loop or exceed the hop limit
  'dns.truncated_message', // counts say more than the bytes hold
  'dns.tcp_stream_gap', // a gap in a DNS-over-TCP stream: framing resynchronised
  'dns.bad_rdata', // A/AAAA of the wrong length, or a CNAME/PTR/NS/SOA name running out of its RDATA
  'dns.tcp_state_limit', // DNS-over-TCP reassembly state full: the oldest stream was dropped
  'dns.tcp_incomplete_message', // a DNS-over-TCP stream ended or expired inside a message
  // analysis
  'analyze.decode_exception', // the per-frame safety net caught a bug; the frame is skipped
] as const;

export type Anomaly = (typeof ANOMALIES)[number];

/**
 * Anomalies no input can cause, only a bug in dualscope: a test over real or fuzzed captures asserts
 * each stays 0 (the analysis counts them instead of throwing, so nothing else would notice).
 */
export const BUG_ANOMALIES: readonly Anomaly[] = ['analyze.decode_exception'];

export class Anomalies {
  readonly counts = new Map<Anomaly, number>();

  /** Counts one occurrence; returns undefined so a decoder can `return anomalies.note(...)`. */
  note(name: Anomaly, n = 1): undefined {
    this.counts.set(name, (this.counts.get(name) ?? 0) + n);
    return undefined;
  }

  get(name: Anomaly): number {
    return this.counts.get(name) ?? 0;
  }

  get total(): number {
    let t = 0;
    for (const n of this.counts.values()) t += n;
    return t;
  }

  /** Every anomaly name with its count, zeros included, in list order (stable for the report). */
  toRecord(): Record<Anomaly, number> {
    const out = {} as Record<Anomaly, number>;
    for (const name of ANOMALIES) out[name] = this.get(name);
    return out;
  }
}
