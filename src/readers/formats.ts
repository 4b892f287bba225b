// Wire layouts of the capture containers, written down once. Offsets are from the start of the
// file header, record header or block. Sources: libpcap pcap-savefile(5) / draft-ietf-opsawg-pcap,
// and the pcapng draft (draft-ietf-opsawg-pcapng) §4.

/** Classic pcap magic numbers, as read little-endian from the first 4 bytes. */
export const PcapMagic = {
  MicrosLe: 0xa1b2c3d4, // written by a little-endian host
  MicrosBe: 0xd4c3b2a1,
  NanosLe: 0xa1b23c4d,
  NanosBe: 0x4d3cb2a1,
  /** Alexey Kuznetsov's patched libpcap: 24-byte record headers (ifindex, protocol, pkt_type). */
  ModifiedLe: 0xa1b2cd34,
  ModifiedBe: 0x34cdb2a1,
} as const;

export const PCAP_FILE_HEADER = { magic: 0, versionMajor: 4, versionMinor: 6, snaplen: 16, linkType: 20, length: 24 } as const;
export const PCAP_RECORD = { tsSec: 0, tsFrac: 4, caplen: 8, origlen: 12, length: 16, modifiedLength: 24 } as const;

/**
 * libpcap's LT_LINKTYPE(): the link type is the low 16 bits; bits 16–25 are reserved and
 * bits 26–31 carry the FCS length (pcap-linktype(7), "LINKTYPE_ values and the FCS").
 */
export const PCAP_LINKTYPE_MASK = 0x0000ffff;

/** Wireshark's WTAP_MAX_PACKET_SIZE_STANDARD: the largest record most link types may hold. */
export const PCAP_DEFAULT_MAX_CAPLEN = 262_144;

/**
 * No record or block may claim more than this, whatever the header says: a corrupt length must
 * never become a giant allocation. (Wireshark's largest per-encapsulation limit is 128 MiB for
 * D-Bus; real packets stay far below this.)
 */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

/**
 * Per-file tables are bounded whatever the file says (pcapng.table_limit is noted past them): a
 * flood of tiny Interface Description Blocks — tens of millions fit in a 1.5 MB gzip'd upload —
 * must not grow memory without end. Real captures stay far below: dumpcap writes one IDB per
 * interface it listens on, and the corpus's largest has 12.
 */
export const MAX_INTERFACES = 4096;
/** Distinct link types listed in the report (each one is looked up in O(1) whatever the count). */
export const MAX_LINK_TYPES = 64;
/** Bytes of an if_name option kept (the option may be up to 64 KiB, once per interface). */
export const MAX_IFACE_NAME_BYTES = 256;

export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;

export const BlockType = {
  SectionHeader: 0x0a0d0d0a, // a palindrome, so it reads the same in both byte orders
  InterfaceDescription: 0x00000001,
  ObsoletePacket: 0x00000002,
  SimplePacket: 0x00000003,
  NameResolution: 0x00000004,
  InterfaceStatistics: 0x00000005,
  EnhancedPacket: 0x00000006,
  SystemdJournalExport: 0x00000009,
  DecryptionSecrets: 0x0000000a,
  CustomCopyable: 0x00000bad,
  CustomNoCopy: 0x40000bad,
} as const;

/** Every block: type, total length, body, total length again. */
export const BLOCK = { type: 0, totalLength: 4, body: 8, minLength: 12 } as const;
export const SHB = { byteOrderMagic: 8, versionMajor: 12, versionMinor: 14, sectionLength: 16, options: 24, minLength: 28 } as const;
export const IDB = { linkType: 8, snaplen: 12, options: 16, minLength: 20 } as const;
export const EPB = { interfaceId: 8, tsHigh: 12, tsLow: 16, caplen: 20, origlen: 24, data: 28, minLength: 32 } as const;
/** Obsolete Packet Block: a 16-bit interface id and a 16-bit drops count where EPB has 32 bits of id. */
export const OPB = { interfaceId: 8, tsHigh: 12, tsLow: 16, caplen: 20, origlen: 24, data: 28, minLength: 32 } as const;
export const SPB = { origlen: 8, data: 12, minLength: 16 } as const;
export const ISB = { interfaceId: 8, tsHigh: 12, tsLow: 16, options: 20, minLength: 24 } as const;

export const OptionCode = { EndOfOpt: 0, IfName: 2, IfTsresol: 9, IfTsoffset: 14, IsbIfdrop: 5 } as const;
