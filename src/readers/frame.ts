// The contract between readers and everything after them.
import type { Micros } from '../core/index.js';

/**
 * One captured frame, valid only during the callback: the file readers hand over one object,
 * refilled for every frame (as libpcap does with its header), and `data` is a view into the
 * reader's buffer. Copy what must outlive the call.
 */
export interface Frame {
  /**
   * 1-based, Wireshark's frame.number. pcapng custom (0x00000BAD/0x40000BAD) and systemd journal
   * blocks take a number too, as in Wireshark, but are not delivered: indices may skip there.
   */
  readonly index: number;
  /** Capture time, µs since 1970 (pcapng if_tsresol / if_tsoffset applied). */
  readonly time: Micros;
  /** Nanoseconds beyond `time` (0..999), non-zero only for files finer than µs. */
  readonly nanos: number;
  /** LINKTYPE_* value (pcapng: from the interface's IDB; pcap: the header's, FCS bits masked). */
  readonly linkType: number;
  readonly caplen: number;
  /** Length on the wire; ≥ caplen unless the file is inconsistent. */
  readonly origlen: number;
  /** pcapng interface id within its section (0 for pcap). */
  readonly iface: number;
  readonly data: Buffer;
  /**
   * Set by the file readers: `data` is `bytes[dataOffset, dataEnd)`, made only when read.
   * PacketDecoder reads the bytes in place, so most frames never get a Buffer view of their own
   * (a subarray per frame was ~40 ns and the largest allocation of the whole analysis).
   */
  readonly bytes?: Buffer;
  readonly dataOffset?: number;
  readonly dataEnd?: number;
}

/**
 * A frame inside the chunk being parsed; `data` is a view made on demand. The parser refills one
 * of these for every frame: an object per frame was ~120 bytes of garbage per packet, the second
 * largest allocation of the whole analysis.
 */
export class ChunkFrame implements Frame {
  index = 0;
  time: Micros = 0;
  nanos = 0;
  linkType = 0;
  caplen = 0;
  origlen = 0;
  iface = 0;
  bytes: Buffer;
  dataOffset = 0;
  dataEnd = 0;

  constructor(bytes: Buffer) {
    this.bytes = bytes;
  }

  get data(): Buffer {
    return this.bytes.subarray(this.dataOffset, this.dataEnd);
  }
}

export type CaptureFormat = 'pcap' | 'pcapng';

export interface InterfaceInfo {
  readonly id: number;
  readonly section: number;
  readonly linkType: number;
  readonly snaplen: number;
  readonly name: string | undefined;
  /** Units per second of this interface's timestamps (1e6 for µs, 1e9 for ns, 2^n …). */
  readonly tsPerSecond: number;
  readonly tsOffsetSeconds: number;
}

/** What the reader learnt about the file, complete after the last frame. */
export interface CaptureInfo {
  format: CaptureFormat | undefined;
  byteOrder: 'little' | 'big' | undefined;
  /** 'us' | 'ns' for pcap; the finest interface resolution for pcapng. */
  resolution: 'us' | 'ns' | 'other' | undefined;
  gzip: boolean;
  snaplen: number | undefined;
  interfaces: InterfaceInfo[];
  linkTypes: number[];
  sections: number;
  frames: number;
  bytesRead: number;
  /** The file ended inside a record: everything before it was delivered. */
  truncated: boolean;
  /** Bytes that could not be read as records (after damage), counted not lost silently. */
  skippedBytes: number;
  /**
   * Reading stopped at damage it cannot step over (a record claiming an impossible length, a bad
   * block length or section header): the anomaly, and how many frames came before it. Everything
   * after is in skippedBytes, unanalysed.
   */
  stoppedBy: 'pcap.caplen_too_large' | 'pcapng.bad_section_header' | 'pcapng.bad_block_length' | undefined;
  stoppedAtFrame: number | undefined;
  /** Capture-tool statistics where the file has them (pcapng ISB isb_ifdrop …). */
  droppedByInterface: number | undefined;
}

export type FrameHandler = (frame: Frame) => void;
