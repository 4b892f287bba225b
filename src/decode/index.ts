// decode/: the public API of the decoding layer. Later layers import from here only.
export * from './types.js';
export { PacketDecoder, PACKET_DECODER_DEFAULTS, IpProtocol, DNS_PORT, MDNS_PORT, LLMNR_PORT, type PacketDecoderOptions } from './packet.js';
export { FragmentReassembler, FRAGMENT_DEFAULTS, type FragmentOptions, type Reassembled } from './fragments.js';
export { EtherType, LinkType, type Link } from './link.js';
export { decodeEthernet, decodeEtherPayload, MAX_VLAN_TAGS } from './ethernet.js';
export { decodeSll } from './sll.js';
export { decodeSll2 } from './sll2.js';
export { decodeNull, decodeLoop, BsdAf } from './null-loop.js';
export { decodeRaw } from './raw.js';
export { decodeIpv4, type Ipv4 } from './ipv4.js';
export { decodeIpv6, walkIpv6Extensions, isIpv6ExtensionHeader, Ipv6Ext, MAX_EXTENSION_HEADERS, type Ipv6, type Ipv6Chain } from './ipv6.js';
export { decodeUdp } from './udp.js';
export { decodeTcp, TcpOption } from './tcp.js';
export { decodeIcmpv4, Icmpv4Type, isIcmpv4Error } from './icmpv4.js';
export { decodeIcmpv6, Icmpv6Type, icmpv6TypeName, isIcmpv6Error, IPV6_MIN_MTU } from './icmpv6.js';
export { decodeQuotedIpv4, decodeQuotedIpv6 } from './quoted.js';
export { decodeDns, looksLikeDns, wiresharkNameText, DnsType } from './dns.js';
export { DnsTcpReassembler } from './dns-tcp.js';
