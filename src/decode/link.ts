// What every link-layer decoder returns: where the network layer starts and what it is.
// Link decoders never call the IP decoders; packet.ts chains them.

export const EtherType = {
  IPv4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100, // 802.1Q
  QinQ: 0x88a8, // 802.1ad service tag
  QinQOld: 0x9100, // pre-standard QinQ
  IPv6: 0x86dd,
  PPPoESession: 0x8864,
} as const;

export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  RAW_BSD: 12, // DLT_RAW on most platforms (DLT_LOOP on OpenBSD)
  RAW_OPENBSD: 14, // DLT_RAW on OpenBSD
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export interface Link {
  /** EtherType of the network layer (IPv4 0x0800, IPv6 0x86dd; other values pass through). */
  readonly etherType: number;
  /** Offset of the network layer in the frame. */
  readonly offset: number;
  /** Outermost 802.1Q/802.1ad VLAN id, if any. */
  readonly vlan: number | undefined;
}

/** A Link to refill: one shape for every decoder that takes one. */
export const emptyLink = (): { etherType: number; offset: number; vlan: number | undefined } => ({ etherType: 0, offset: 0, vlan: undefined });
