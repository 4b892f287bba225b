// A push-based framer for pcap and pcapng (in the manner of pg-protocol): bytes arrive in chunks of
// any size, whole records are parsed straight out of the chunk, and only a record split across two
// chunks is copied (into `#pending`). The file is never concatenated, so memory stays bounded by the
// largest record, itself bounded by MAX_RECORD_BYTES.
//
// Damage policy: the parser throws CaptureFormatError only while nothing has been read (bad magic,
// unsupported version, a file that ends inside its header). After that, damage is an anomaly: reading
// stops, every frame before it has been delivered, and the rest is counted in info.skippedBytes.
//
// Frame numbers follow Wireshark's frame.number so that a number in a finding opens the right packet:
// Wireshark (4.0, the corpus's truth) also gives a record — and so a frame number — to every pcapng
// custom block (0x00000BAD / 0x40000BAD) and systemd journal export block. Those consume a number
// here too (counted in info.nonPacketRecords) but are not delivered, so `index` can skip.
import { Anomalies, CaptureFormatError } from '../core/index.js';
import { ChunkFrame, type CaptureInfo, type FrameHandler } from './frame.js';
import {
  BLOCK, BlockType, EPB, IDB, ISB, MAX_IFACE_NAME_BYTES, MAX_INTERFACES, MAX_LINK_TYPES, MAX_RECORD_BYTES, OPB, OptionCode, PCAP_DEFAULT_MAX_CAPLEN, PCAP_FILE_HEADER,
  PCAP_LINKTYPE_MASK, PCAP_RECORD, PCAPNG_BYTE_ORDER_MAGIC, PcapMagic, SHB, SPB,
} from './formats.js';
import { nsPerTickOf, ticksToTime, tsresolToPerSecond, type TimeOut } from './ticks.js';

/** What CaptureInfo gains from this reader beyond the shared contract. */
export interface ParserInfo extends CaptureInfo {
  /** Frame numbers Wireshark gives to non-packet records (pcapng custom/journal blocks); not delivered. */
  nonPacketRecords: number;
}

/**
 * One unit of the file exactly as stored (the pcap file header, a pcap record, or a pcapng block),
 * handed to a RecordHandler after the parser has read it (and after its frame, if any, went to
 * onFrame). Writers use it to copy a capture without decoding its containers a second time.
 * Valid only during the call: `bytes` is the reader's chunk.
 */
export interface RawRecord {
  format: 'pcap' | 'pcapng';
  bytes: Buffer;
  offset: number;
  length: number;
  /** The byte order of this record (pcapng: its section's). */
  littleEndian: boolean;
  /** The frame number this record took (a delivered frame, or a numbered custom block); 0 if none. */
  frame: number;
  /** A frame was delivered to onFrame for this record (its number is `frame`). */
  delivered: boolean;
}
export type RecordHandler = (record: RawRecord) => void;

const enum Mode { Detect, Pcap, Pcapng, Stopped }
/**
 * The kind of unit push() reads in one step before trying the general path (see #commonPcapRecord):
 * set once the file's header has said it can occur (little-endian, µs, no record handler).
 */
const enum Common { None, PcapRecord, EnhancedPacket }
/** `#unitSize` result: reading stopped on damage (already noted). */
const STOP = -1;
/** `#unitSize` result: the size is not known yet; `#need` bytes are needed to learn it. */
const MORE = 0;

/** Below this many µs ticks in the high word, a pcapng timestamp is exact in a double (see ticks.ts). */
const EXACT_MICROS_HIGH_LIMIT = 0x200000;

/** A little-endian 32-bit read by index, for the common units below (their bounds checked first). */
const le32 = (b: Buffer, o: number): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;

const PNG_MAGIC = 0x89504e47;
const GZIP_MAGIC_16 = 0x1f8b;

interface Iface {
  readonly linkType: number;
  readonly snaplen: number;
  readonly perSecond: number;
  readonly nsPerTick: number;
  readonly offsetSeconds: number;
}

export class CaptureParser {
  readonly info: ParserInfo = {
    format: undefined, byteOrder: undefined, resolution: undefined, gzip: false, snaplen: undefined,
    interfaces: [], linkTypes: [], sections: 0, frames: 0, bytesRead: 0, truncated: false, skippedBytes: 0, stoppedBy: undefined, stoppedAtFrame: undefined,
    droppedByInterface: undefined, nonPacketRecords: 0,
  };

  #mode = Mode.Detect;
  #common = Common.None;
  #pending: Buffer = Buffer.alloc(0);
  #pendingLen = 0;
  #need = 0;
  #number = 0; // the last frame number given out
  /** Bytes of the input in units consumed before the current one (see unitStart). */
  #consumed = 0;
  #unitStart = 0;
  #lastTime = 0; // the last delivered frame's time: stands in for an unrepresentable one
  #le = true;
  // classic pcap
  #nanos = false;
  #recordHeader: number = PCAP_RECORD.length;
  #swapLengths: 0 | 1 | 2 = 0; // 1: always (version < 2.3), 2: when caplen > origlen (2.3)
  #linkType = 0;
  #snaplen = 0;
  #maxCaplen = PCAP_DEFAULT_MAX_CAPLEN;
  // pcapng
  #ifaces: Iface[] = [];
  #finestPerSecond = 0;
  /** Link types already listed in info.linkTypes: one O(1) lookup per IDB, however many there are. */
  readonly #linkTypesSeen = new Set<number>();
  /** Latest isb_ifdrop per interface of the current section (bounded by MAX_INTERFACES). */
  readonly #drops = new Map<number, number>();
  /** Drops of the sections before the current one, summed when a section ends. */
  #dropsBefore = 0;
  #sawDrops = false;
  readonly #time: TimeOut = { micros: 0, nanos: 0 };
  /** Refilled for each frame (the Frame contract: valid only during the callback). */
  readonly #frame = new ChunkFrame(Buffer.alloc(0));
  /** Refilled for each record, only when there is an onRecord. */
  readonly #record: RawRecord = { format: 'pcap', bytes: Buffer.alloc(0), offset: 0, length: 0, littleEndian: true, frame: 0, delivered: false };

  constructor(
    readonly source: string,
    private readonly onFrame: FrameHandler,
    private readonly anomalies: Anomalies,
    private readonly onRecord?: RecordHandler,
  ) {}

  /** Parses every whole record in `chunk`; keeps a copy of a trailing partial one. */
  push(chunk: Buffer): void {
    this.info.bytesRead += chunk.length;
    if (this.#mode === Mode.Stopped) {
      this.info.skippedBytes += chunk.length;
      return;
    }
    const end = chunk.length;
    let off = 0;
    if (this.#pendingLen > 0) {
      off = this.#completePending(chunk);
      if (this.#pendingLen > 0 || this.#isStopped()) return;
    }
    while (off < end) {
      if (this.#common !== Common.None) {
        const taken = this.#common === Common.PcapRecord ? this.#commonPcapRecord(chunk, off, end) : this.#commonEnhancedPacket(chunk, off, end);
        if (taken > 0) {
          off += taken;
          continue;
        }
      }
      const size = this.#unitSize(chunk, off, end - off);
      if (size === STOP) {
        this.info.skippedBytes += end - off;
        return;
      }
      if (size === MORE || size > end - off) break;
      this.#consume(chunk, off, size);
      off += size;
      if (this.#isStopped()) {
        this.info.skippedBytes += end - off;
        return;
      }
    }
    if (off < end) this.#stash(chunk, off, end);
  }

  /** The input is over: a partial record left means the file was cut short. */
  end(): void {
    if (this.#mode === Mode.Detect) {
      if (this.info.bytesRead === 0) throw new CaptureFormatError(this.source, 'empty_file', 'the file is empty');
      throw new CaptureFormatError(this.source, 'bad_header', `the file ends inside its header (${this.info.bytesRead} bytes)`);
    }
    if (this.#pendingLen > 0 && this.#mode !== Mode.Stopped) {
      this.info.truncated = true;
      this.info.skippedBytes += this.#pendingLen;
      this.anomalies.note(this.#mode === Mode.Pcap ? 'pcap.truncated_record' : 'pcapng.truncated_block');
    }
    this.#pendingLen = 0;
    this.#pending = Buffer.alloc(0);
    this.#closeSectionDrops();
    if (this.#sawDrops) this.info.droppedByInterface = Math.min(this.#dropsBefore, Number.MAX_SAFE_INTEGER);
  }

  /** Folds the current section's drop counters into the running sum (counters restart with a section). */
  #closeSectionDrops(): void {
    for (const n of this.#drops.values()) this.#dropsBefore += n;
    this.#drops.clear();
  }

  // ── framing ────────────────────────────────────────────────────────────────────────────────────

  /** Feeds the pending partial unit from `chunk`; returns how much of the chunk it used. */
  #completePending(chunk: Buffer): number {
    let off = 0;
    for (;;) {
      const size = this.#unitSize(this.#pending, 0, this.#pendingLen);
      if (size === STOP) {
        this.info.skippedBytes += this.#pendingLen + chunk.length - off;
        this.#pendingLen = 0;
        return chunk.length;
      }
      const target = size === MORE ? this.#need : size;
      const take = Math.min(target - this.#pendingLen, chunk.length - off);
      this.#reserve(this.#pendingLen + take);
      chunk.copy(this.#pending, this.#pendingLen, off, off + take);
      this.#pendingLen += take;
      off += take;
      if (this.#pendingLen < target) return off; // the chunk ran out first
      if (size === MORE) continue; // the header is complete now: learn the size
      this.#pendingLen = 0;
      this.#consume(this.#pending, 0, size);
      if (this.#mode === Mode.Stopped) this.info.skippedBytes += chunk.length - off;
      return off;
    }
  }

  #stash(chunk: Buffer, off: number, end: number): void {
    this.#reserve(end - off);
    chunk.copy(this.#pending, 0, off, end);
    this.#pendingLen = end - off;
  }

  /** Grows the pending buffer geometrically, only as far as bytes actually arrived. */
  #reserve(n: number): void {
    if (this.#pending.length >= n) return;
    const grown = Buffer.allocUnsafe(Math.max(n, Math.min(this.#pending.length * 2, MAX_RECORD_BYTES), 256));
    this.#pending.copy(grown, 0, 0, this.#pendingLen);
    this.#pending = grown;
  }

  // Index reads: Buffer#readUInt32LE validates its argument on every call, and these run a few
  // times per record. Out of range (never, after the size checks) falls back to the throwing reads.
  #u32(b: Buffer, off: number): number {
    if (off < 0 || off + 4 > b.length) return this.#le ? b.readUInt32LE(off) : b.readUInt32BE(off);
    return this.#le
      ? (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0
      : ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
  }

  #u16(b: Buffer, off: number): number {
    if (off < 0 || off + 2 > b.length) return this.#le ? b.readUInt16LE(off) : b.readUInt16BE(off);
    return this.#le ? b[off]! | (b[off + 1]! << 8) : (b[off]! << 8) | b[off + 1]!;
  }

  // ── the common units in one step ───────────────────────────────────────────────────────────────
  // Nearly every unit of a capture is a packet record (pcap) or an Enhanced Packet Block (pcapng)
  // of a little-endian file at µs resolution, with nothing to note. These read such a unit with
  // one check of each field and deliver its frame, or return 0 without noting or changing
  // anything, and the general path (#unitSize, #consume) takes it from there: a partial unit, damage,
  // anomalies and every other kind of unit read as before. The general path's steps (the mode's
  // switch, the block's, byte-order checks on each read, the timestamp conversion's cases) were
  // most of the reader's instructions (easy 300 k, reading alone, callgrind, above node's start-up:
  // pcapng 405 → 219 M, pcap 247 → 145 M).

  /** A classic pcap record (file header: little-endian, µs, version 2.4, 16-byte record headers). */
  #commonPcapRecord(b: Buffer, off: number, end: number): number {
    if (end - off < PCAP_RECORD.length) return 0;
    const caplen = le32(b, off + PCAP_RECORD.caplen);
    const size = PCAP_RECORD.length + caplen;
    if (caplen > this.#maxCaplen || size > end - off) return 0;
    const frac = le32(b, off + PCAP_RECORD.tsFrac);
    const origlen = le32(b, off + PCAP_RECORD.origlen);
    if (frac >= 1_000_000 || origlen < caplen || (caplen > this.#snaplen && this.#snaplen !== 0)) return 0;
    this.#unitStart = this.#consumed;
    this.#consumed += size;
    const start = off + PCAP_RECORD.length;
    this.#deliver(le32(b, off + PCAP_RECORD.tsSec) * 1_000_000 + frac, 0, this.#linkType, caplen, origlen, 0, b, start, off + size);
    return size;
  }

  /** A pcapng Enhanced Packet Block of a little-endian section, on an interface counting µs. */
  #commonEnhancedPacket(b: Buffer, off: number, end: number): number {
    const avail = end - off;
    if (avail < EPB.minLength || le32(b, off + BLOCK.type) !== BlockType.EnhancedPacket) return 0;
    const len = le32(b, off + BLOCK.totalLength);
    if (len < EPB.minLength || (len & 3) !== 0 || len > avail || len > MAX_RECORD_BYTES || le32(b, off + len - 4) !== len) return 0;
    const ifaceId = le32(b, off + EPB.interfaceId);
    const iface = this.#ifaces[ifaceId];
    if (iface === undefined || iface.perSecond !== 1_000_000 || iface.offsetSeconds !== 0) return 0;
    const high = le32(b, off + EPB.tsHigh);
    const caplen = le32(b, off + EPB.caplen);
    if (high >= EXACT_MICROS_HIGH_LIMIT || caplen > len - EPB.minLength) return 0;
    this.#unitStart = this.#consumed;
    this.#consumed += len;
    const start = off + EPB.data;
    const time = high * 4_294_967_296 + le32(b, off + EPB.tsLow);
    this.#deliver(time, 0, iface.linkType, caplen, le32(b, off + EPB.origlen), ifaceId, b, start, start + caplen);
    return len;
  }

  #isStopped(): boolean {
    return this.#mode === Mode.Stopped;
  }

  #stop(why: CaptureInfo['stoppedBy']): number {
    this.#mode = Mode.Stopped;
    this.info.stoppedBy = why;
    this.info.stoppedAtFrame = this.info.frames;
    return STOP;
  }

  /**
   * Size in bytes of the unit (file header, record or block) at `off`, MORE when `avail` bytes are
   * too few to tell (with `#need` set), or STOP after noting damage. Notes nothing otherwise, so it
   * may run twice on the same bytes.
   */
  #unitSize(b: Buffer, off: number, avail: number): number {
    switch (this.#mode) {
      case Mode.Pcap: {
        const h = this.#recordHeader;
        if (avail < h) { this.#need = h; return MORE; }
        let caplen = this.#u32(b, off + PCAP_RECORD.caplen);
        if (this.#swapLengths !== 0) {
          const origlen = this.#u32(b, off + PCAP_RECORD.origlen);
          if (this.#swapLengths === 1 || caplen > origlen) caplen = origlen;
        }
        if (caplen > this.#maxCaplen) {
          this.anomalies.note('pcap.caplen_too_large');
          return this.#stop('pcap.caplen_too_large');
        }
        return h + caplen;
      }
      case Mode.Pcapng: {
        if (avail < BLOCK.body) { this.#need = BLOCK.body; return MORE; }
        let minLength: number = BLOCK.minLength;
        if (b.readUInt32LE(off) === BlockType.SectionHeader) {
          // A new section may switch byte order: its length can only be read after the magic.
          if (avail < SHB.versionMajor) { this.#need = SHB.versionMajor; return MORE; }
          const bom = b.readUInt32LE(off + SHB.byteOrderMagic);
          if (bom === PCAPNG_BYTE_ORDER_MAGIC) this.#le = true;
          else if (bom === 0x4d3c2b1a) this.#le = false;
          else {
            this.anomalies.note('pcapng.bad_section_header');
            return this.#stop('pcapng.bad_section_header');
          }
          // A later SHB shorter than its fixed fields (e.g. 12 bytes) would be read past its end.
          minLength = SHB.minLength;
        }
        const len = this.#u32(b, off + BLOCK.totalLength);
        if (len < minLength || len % 4 !== 0 || len > MAX_RECORD_BYTES) {
          this.anomalies.note('pcapng.bad_block_length');
          return this.#stop('pcapng.bad_block_length');
        }
        return len;
      }
      case Mode.Detect:
        return this.#detect(b, off, avail);
      default:
        return STOP;
    }
  }

  #detect(b: Buffer, off: number, avail: number): number {
    if (avail < 4) { this.#need = 4; return MORE; }
    const magic = b.readUInt32LE(off);
    switch (magic) {
      case PcapMagic.MicrosLe: case PcapMagic.MicrosBe: case PcapMagic.NanosLe:
      case PcapMagic.NanosBe: case PcapMagic.ModifiedLe: case PcapMagic.ModifiedBe:
        if (avail < PCAP_FILE_HEADER.length) { this.#need = PCAP_FILE_HEADER.length; return MORE; }
        return PCAP_FILE_HEADER.length;
      case BlockType.SectionHeader: {
        if (avail < SHB.versionMajor) { this.#need = SHB.versionMajor; return MORE; }
        const bom = b.readUInt32LE(off + SHB.byteOrderMagic);
        if (bom !== PCAPNG_BYTE_ORDER_MAGIC && bom !== 0x4d3c2b1a) {
          throw new CaptureFormatError(this.source, 'bad_header', 'pcapng section header with a bad byte-order magic');
        }
        this.#le = bom === PCAPNG_BYTE_ORDER_MAGIC;
        const len = this.#u32(b, off + BLOCK.totalLength);
        if (len < SHB.minLength || len % 4 !== 0 || len > MAX_RECORD_BYTES) {
          throw new CaptureFormatError(this.source, 'bad_block_length', `pcapng section header with a bad length (${len})`);
        }
        return len;
      }
      default: {
        const be = b.readUInt32BE(off);
        let what = `unknown magic 0x${be.toString(16).padStart(8, '0')}`;
        if (be === PNG_MAGIC) what = 'a PNG image';
        else if (be >>> 16 === GZIP_MAGIC_16) what = 'gzip data (read it with readCapture)';
        throw new CaptureFormatError(this.source, 'bad_magic', `not a pcap or pcapng capture: ${what}`);
      }
    }
  }

  /**
   * Where the unit being parsed (the record whose frame onFrame is handling) starts in the input, in
   * bytes: a reader of part of a file maps it to the file's own offset (pieces of one file).
   */
  get unitStart(): number {
    return this.#unitStart;
  }

  #consume(b: Buffer, off: number, size: number): void {
    this.#unitStart = this.#consumed;
    this.#consumed += size;
    const numberBefore = this.#number;
    const framesBefore = this.info.frames;
    if (this.#mode === Mode.Pcap) this.#pcapRecord(b, off, size);
    else if (this.#mode === Mode.Pcapng) this.#block(b, off, size);
    else if (b.readUInt32LE(off) !== BlockType.SectionHeader) this.#pcapHeader(b, off);
    else this.#block(b, off, size);
    if (this.onRecord === undefined || this.#mode === Mode.Stopped) return;
    const r = this.#record;
    r.format = this.#mode === Mode.Pcap ? 'pcap' : 'pcapng';
    r.bytes = b; r.offset = off; r.length = size; r.littleEndian = this.#le;
    r.frame = this.#number > numberBefore ? this.#number : 0;
    r.delivered = this.info.frames > framesBefore;
    this.onRecord(r);
  }

  // ── classic pcap ───────────────────────────────────────────────────────────────────────────────

  #pcapHeader(b: Buffer, off: number): void {
    const magic = b.readUInt32LE(off);
    this.#le = magic === PcapMagic.MicrosLe || magic === PcapMagic.NanosLe || magic === PcapMagic.ModifiedLe;
    this.#nanos = magic === PcapMagic.NanosLe || magic === PcapMagic.NanosBe;
    if (magic === PcapMagic.ModifiedLe || magic === PcapMagic.ModifiedBe) this.#recordHeader = PCAP_RECORD.modifiedLength;
    const major = this.#u16(b, off + PCAP_FILE_HEADER.versionMajor);
    const minor = this.#u16(b, off + PCAP_FILE_HEADER.versionMinor);
    // libpcap (sf-pcap.c) and Wireshark refuse major versions before 2 ("archaic" files).
    if (major < 2) throw new CaptureFormatError(this.source, 'unsupported_version', `pcap version ${major}.${minor} is not supported`);
    // libpcap before 2.3 wrote caplen and len the other way round; 2.3 files may be either.
    if (major === 2) this.#swapLengths = minor < 3 ? 1 : minor === 3 ? 2 : 0;
    this.#snaplen = this.#u32(b, off + PCAP_FILE_HEADER.snaplen);
    this.#linkType = this.#u32(b, off + PCAP_FILE_HEADER.linkType) & PCAP_LINKTYPE_MASK;
    this.#maxCaplen = Math.min(MAX_RECORD_BYTES, Math.max(this.#snaplen, PCAP_DEFAULT_MAX_CAPLEN));
    const info = this.info;
    info.format = 'pcap';
    info.byteOrder = this.#le ? 'little' : 'big';
    info.resolution = this.#nanos ? 'ns' : 'us';
    info.snaplen = this.#snaplen;
    info.sections = 1;
    info.linkTypes.push(this.#linkType);
    info.interfaces.push({
      id: 0, section: 0, linkType: this.#linkType, snaplen: this.#snaplen, name: undefined,
      tsPerSecond: this.#nanos ? 1e9 : 1e6, tsOffsetSeconds: 0,
    });
    this.#mode = Mode.Pcap;
    const common = this.#le && !this.#nanos && this.#recordHeader === PCAP_RECORD.length && this.#swapLengths === 0 && this.onRecord === undefined;
    this.#common = common ? Common.PcapRecord : Common.None;
  }

  #pcapRecord(b: Buffer, off: number, size: number): void {
    const sec = this.#u32(b, off + PCAP_RECORD.tsSec);
    const frac = this.#u32(b, off + PCAP_RECORD.tsFrac);
    let caplen = this.#u32(b, off + PCAP_RECORD.caplen);
    let origlen = this.#u32(b, off + PCAP_RECORD.origlen);
    if (this.#swapLengths === 1 || (this.#swapLengths === 2 && caplen > origlen)) {
      const t = caplen; caplen = origlen; origlen = t;
    }
    // An out-of-range sub-second field simply carries into the seconds, which is the instant
    // tshark shows (it prints e.g. `1418145370.1000000000`, i.e. 1418145371.000000000).
    let micros: number;
    let nanos = 0;
    if (this.#nanos) {
      if (frac >= 1_000_000_000) this.anomalies.note('pcap.bad_subsecond');
      nanos = frac % 1000;
      micros = sec * 1_000_000 + (frac - nanos) / 1000;
    } else {
      if (frac >= 1_000_000) this.anomalies.note('pcap.bad_subsecond');
      micros = sec * 1_000_000 + frac;
    }
    if (caplen > this.#snaplen && this.#snaplen !== 0) this.anomalies.note('pcap.caplen_over_snaplen');
    if (origlen < caplen) this.anomalies.note('pcap.origlen_below_caplen');
    const start = off + this.#recordHeader;
    this.#deliver(micros, nanos, this.#linkType, caplen, origlen, 0, b, start, off + size);
  }

  #deliver(time: number, nanos: number, linkType: number, caplen: number, origlen: number, iface: number, bytes: Buffer, start: number, end: number): void {
    this.info.frames++;
    this.#lastTime = time;
    const frame = this.#frame;
    frame.index = ++this.#number; frame.time = time; frame.nanos = nanos; frame.linkType = linkType;
    frame.caplen = caplen; frame.origlen = origlen; frame.iface = iface;
    frame.bytes = bytes; frame.dataOffset = start; frame.dataEnd = end;
    this.onFrame(frame);
  }

  // ── pcapng ─────────────────────────────────────────────────────────────────────────────────────

  #block(b: Buffer, off: number, len: number): void {
    const type = this.#u32(b, off + BLOCK.type);
    if (this.#u32(b, off + len - 4) !== len) this.anomalies.note('pcapng.block_length_mismatch');
    switch (type) {
      case BlockType.EnhancedPacket: return this.#packet(b, off, len, this.#u32(b, off + EPB.interfaceId), EPB.data);
      case BlockType.ObsoletePacket: return this.#packet(b, off, len, this.#u16(b, off + OPB.interfaceId), OPB.data);
      case BlockType.SimplePacket: return this.#simplePacket(b, off, len);
      case BlockType.SectionHeader: return this.#sectionHeader(b, off, len);
      case BlockType.InterfaceDescription: return this.#interface(b, off, len);
      case BlockType.InterfaceStatistics: return this.#statistics(b, off, len);
      case BlockType.CustomCopyable:
      case BlockType.CustomNoCopy:
      case BlockType.SystemdJournalExport:
        // Wireshark numbers these as frames (see the top of this file).
        this.#number++;
        this.info.nonPacketRecords++;
        return;
      case BlockType.NameResolution:
      case BlockType.DecryptionSecrets:
        return; // known, and nothing in them we use
      default:
        this.anomalies.note('pcapng.skipped_block');
    }
  }

  #sectionHeader(b: Buffer, off: number, len: number): void {
    // #unitSize/#detect already set the byte order from this block's magic and refused a length
    // below SHB.minLength; checked again here because the reads below depend on it.
    if (len < SHB.minLength) {
      this.anomalies.note('pcapng.bad_block_length');
      this.info.skippedBytes += len;
      this.#mode = Mode.Stopped;
      return;
    }
    const major = this.#u16(b, off + SHB.versionMajor);
    const minor = this.#u16(b, off + SHB.versionMinor);
    const first = this.#mode === Mode.Detect;
    // Wireshark reads versions 1.0 and 1.2 only (1.2 is treated as 1.0), and stops at any other.
    if (major !== 1 || (minor !== 0 && minor !== 2)) {
      if (first) throw new CaptureFormatError(this.source, 'unsupported_version', `pcapng version ${major}.${minor} is not supported`);
      this.anomalies.note('pcapng.unsupported_version');
      this.info.skippedBytes += len;
      this.#mode = Mode.Stopped;
      return;
    }
    if (first) {
      this.info.format = 'pcapng';
      this.info.byteOrder = this.#le ? 'little' : 'big';
      this.#mode = Mode.Pcapng;
    }
    this.info.sections++;
    // Each section has its own byte order (#unitSize set it from this block's magic).
    this.#common = this.#le && this.onRecord === undefined ? Common.EnhancedPacket : Common.None;
    this.#closeSectionDrops();
    this.#ifaces = []; // interface ids restart in every section
  }

  #interface(b: Buffer, off: number, len: number): void {
    if (len < IDB.minLength) return void this.anomalies.note('pcapng.bad_block_length');
    // Past the bound the block is not kept: packets naming it count as pcapng.unknown_interface.
    if (this.#ifaces.length >= MAX_INTERFACES) return void this.anomalies.note('pcapng.table_limit');
    const linkType = this.#u16(b, off + IDB.linkType);
    const snaplen = this.#u32(b, off + IDB.snaplen);
    let perSecond = 1e6;
    let offsetSeconds = 0;
    let name: string | undefined;
    const end = off + len - 4;
    for (let p = off + IDB.options; p + 4 <= end; ) {
      const code = this.#u16(b, p);
      const olen = this.#u16(b, p + 2);
      if (code === OptionCode.EndOfOpt) break;
      if (p + 4 + olen > end) { this.anomalies.note('pcapng.bad_option'); break; }
      if (code === OptionCode.IfName) name = b.toString('utf8', p + 4, p + 4 + Math.min(olen, MAX_IFACE_NAME_BYTES));
      else if (code === OptionCode.IfTsresol && olen >= 1) {
        const ps = tsresolToPerSecond(b[p + 4]!);
        if (ps === undefined) this.anomalies.note('pcapng.bad_option');
        else perSecond = ps;
      } else if (code === OptionCode.IfTsoffset && olen >= 8) {
        offsetSeconds = Number(this.#le ? b.readBigInt64LE(p + 4) : b.readBigInt64BE(p + 4));
      }
      p += 4 + ((olen + 3) & ~3);
    }
    const id = this.#ifaces.length;
    this.#ifaces.push({ linkType, snaplen, perSecond, nsPerTick: nsPerTickOf(perSecond), offsetSeconds });
    const info = this.info;
    // Listed across all sections: a flood of sections of one IDB each is bounded here.
    if (info.interfaces.length < MAX_INTERFACES) {
      info.interfaces.push({ id, section: info.sections - 1, linkType, snaplen, name, tsPerSecond: perSecond, tsOffsetSeconds: offsetSeconds });
    } else this.anomalies.note('pcapng.table_limit');
    if (!this.#linkTypesSeen.has(linkType)) {
      if (this.#linkTypesSeen.size < MAX_LINK_TYPES) {
        this.#linkTypesSeen.add(linkType);
        info.linkTypes.push(linkType);
      } else this.anomalies.note('pcapng.table_limit');
    }
    if (info.snaplen === undefined) info.snaplen = snaplen;
    if (perSecond > this.#finestPerSecond) this.#finestPerSecond = perSecond;
    const finest = this.#finestPerSecond;
    info.resolution = finest === 1e6 ? 'us' : finest === 1e9 ? 'ns' : 'other';
  }

  /** EPB and the obsolete Packet Block share a layout apart from the interface id's width. */
  #packet(b: Buffer, off: number, len: number, ifaceId: number, dataOff: number): void {
    if (len < EPB.minLength) return void this.anomalies.note('pcapng.bad_block_length');
    const iface = this.#ifaces[ifaceId];
    // Wireshark gives up on the whole file here; one bad id should not cost the rest.
    if (iface === undefined) return void this.anomalies.note('pcapng.unknown_interface');
    const caplen = this.#u32(b, off + EPB.caplen);
    if (caplen > len - dataOff - 4) {
      this.anomalies.note('pcapng.bad_block_length');
      this.info.skippedBytes += len;
      this.#mode = Mode.Stopped;
      return;
    }
    const t = this.#time;
    ticksToTime(this.#u32(b, off + EPB.tsHigh), this.#u32(b, off + EPB.tsLow), iface.perSecond, iface.nsPerTick, iface.offsetSeconds, t);
    let time = t.micros;
    let nanos = t.nanos;
    // 64-bit ticks plus a 64-bit if_tsoffset reach far past 2^53 µs (year 2255), where integer µs
    // stop being exact, the report schema refuses them and Date (±8.64e18 µs, a wider range) is
    // not far behind. Wireshark shows such a value; we note it and give the frame the previous
    // frame's time (0 for the first), so nothing after the reader sees an unsafe time and the
    // capture's span and timeline are not stretched back to 1970.
    if (!Number.isSafeInteger(time)) {
      this.anomalies.note('pcapng.bad_timestamp');
      time = this.#lastTime;
      nanos = 0;
    }
    const start = off + dataOff;
    this.#deliver(time, nanos, iface.linkType, caplen, this.#u32(b, off + EPB.origlen), ifaceId, b, start, start + caplen);
  }

  /** SPB (pcapng §4.4): interface 0, no timestamp (time 0, as Wireshark shows none), caplen implied. */
  #simplePacket(b: Buffer, off: number, len: number): void {
    if (len < SPB.minLength) return void this.anomalies.note('pcapng.bad_block_length');
    const iface = this.#ifaces[0];
    if (iface === undefined) return void this.anomalies.note('pcapng.unknown_interface');
    const origlen = this.#u32(b, off + SPB.origlen);
    let caplen = Math.min(origlen, len - SPB.minLength);
    if (iface.snaplen !== 0 && caplen > iface.snaplen) caplen = iface.snaplen;
    const start = off + SPB.data;
    this.#deliver(0, 0, iface.linkType, caplen, origlen, 0, b, start, start + caplen);
  }

  #statistics(b: Buffer, off: number, len: number): void {
    if (len < ISB.minLength) return void this.anomalies.note('pcapng.bad_block_length');
    const ifaceId = this.#u32(b, off + ISB.interfaceId);
    // Counters only for interfaces this section described: the map stays within MAX_INTERFACES.
    if (ifaceId >= this.#ifaces.length) return void this.anomalies.note('pcapng.unknown_interface');
    const end = off + len - 4;
    for (let p = off + ISB.options; p + 4 <= end; ) {
      const code = this.#u16(b, p);
      const olen = this.#u16(b, p + 2);
      if (code === OptionCode.EndOfOpt) break;
      if (p + 4 + olen > end) { this.anomalies.note('pcapng.bad_option'); break; }
      if (code === OptionCode.IsbIfdrop && olen >= 8) {
        // Counters are cumulative: keep the latest per interface.
        const drops = Number(this.#le ? b.readBigUInt64LE(p + 4) : b.readBigUInt64BE(p + 4));
        // A count beyond 2^53 is damage, not drops: it cannot be reported exactly, so it is noted.
        if (Number.isSafeInteger(drops)) {
          this.#drops.set(ifaceId, drops);
          this.#sawDrops = true;
        } else this.anomalies.note('pcapng.bad_option');
      }
      p += 4 + ((olen + 3) & ~3);
    }
  }
}
