// pcapng blocks written, the mirror of readers/capture-parser.ts: the same layouts (readers'
// formats.ts), built here instead of read. Every block is written in the byte order it is given,
// so a block copied from a big-endian section can gain options and stay in its section's order.
// Source: draft-ietf-opsawg-pcapng §3–§4 (opt_comment is option 1 of every block type).
import { BLOCK, BlockType, EPB, IDB, OPB, PCAPNG_BYTE_ORDER_MAGIC, SHB, SPB } from '../readers/index.js';

/** opt_comment (pcapng §3.5): UTF-8, on any block. */
const OPT_COMMENT = 1;
const OPT_END = 0;
/** if_tsresol: 10^-9 s per tick. */
const IF_TSRESOL = 9;
const TSRESOL_NANOS = 9;
/** An option's length field is 16 bits. */
const MAX_OPTION_BYTES = 0xffff;

const pad4 = (n: number): number => (n + 3) & ~3;

/** A comment as option bytes: cut (at a character boundary) to what an option can hold. */
function commentBytes(text: string): Buffer {
  const b = Buffer.from(text, 'utf8');
  if (b.length <= MAX_OPTION_BYTES) return b;
  let end = MAX_OPTION_BYTES;
  while (end > 0 && (b[end]! & 0xc0) === 0x80) end--; // never split a UTF-8 sequence
  return b.subarray(0, end);
}

/** Little helper for writing in either byte order into a fresh buffer. */
class BlockBuilder {
  readonly buf: Buffer;
  constructor(length: number, readonly le: boolean) {
    this.buf = Buffer.alloc(length);
  }
  u16(off: number, v: number): void {
    if (this.le) this.buf.writeUInt16LE(v, off);
    else this.buf.writeUInt16BE(v, off);
  }
  u32(off: number, v: number): void {
    if (this.le) this.buf.writeUInt32LE(v >>> 0, off);
    else this.buf.writeUInt32BE(v >>> 0, off);
  }
  /** Writes the options at `off` and returns where they end (after opt_endofopt). */
  options(off: number, opts: readonly { code: number; value: Buffer }[]): number {
    let p = off;
    for (const o of opts) {
      this.u16(p, o.code);
      this.u16(p + 2, o.value.length);
      o.value.copy(this.buf, p + 4);
      p += 4 + pad4(o.value.length);
    }
    this.u16(p, OPT_END);
    this.u16(p + 2, 0);
    return p + 4;
  }
  /** Sets the block type and both total-length fields. */
  frame(type: number): Buffer {
    this.u32(BLOCK.type, type);
    this.u32(BLOCK.totalLength, this.buf.length);
    this.u32(this.buf.length - 4, this.buf.length);
    return this.buf;
  }
}

const optionsLength = (opts: readonly { value: Buffer }[]): number =>
  opts.length === 0 ? 0 : opts.reduce((n, o) => n + 4 + pad4(o.value.length), 4);

const comments = (texts: readonly string[]): { code: number; value: Buffer }[] =>
  texts.map((t) => ({ code: OPT_COMMENT, value: commentBytes(t) }));

/** A Section Header Block, version 1.0, section length unknown (-1), with comments. */
export function sectionHeaderBlock(commentTexts: readonly string[], le = true): Buffer {
  const opts = comments(commentTexts);
  const b = new BlockBuilder(SHB.options + optionsLength(opts) + 4, le);
  b.u32(SHB.byteOrderMagic, PCAPNG_BYTE_ORDER_MAGIC);
  b.u16(SHB.versionMajor, 1);
  b.u16(SHB.versionMinor, 0);
  b.buf.fill(0xff, SHB.sectionLength, SHB.sectionLength + 8);
  if (opts.length > 0) b.options(SHB.options, opts);
  return b.frame(BlockType.SectionHeader);
}

export interface InterfaceDescription {
  linkType: number;
  snaplen: number;
  /** Timestamps in nanoseconds (if_tsresol 9) instead of the default microseconds. */
  nanos: boolean;
}

export function interfaceDescriptionBlock(iface: InterfaceDescription, le = true): Buffer {
  const opts = iface.nanos ? [{ code: IF_TSRESOL, value: Buffer.from([TSRESOL_NANOS]) }] : [];
  const b = new BlockBuilder(IDB.options + optionsLength(opts) + 4, le);
  b.u16(IDB.linkType, iface.linkType);
  b.u32(IDB.snaplen, iface.snaplen);
  if (opts.length > 0) b.options(IDB.options, opts);
  return b.frame(BlockType.InterfaceDescription);
}

export interface PacketRecord {
  iface: number;
  /** Timestamp in the interface's units, as 64 bits split in two (the block's own layout). */
  tsHigh: number;
  tsLow: number;
  origlen: number;
  data: Buffer;
}

export function enhancedPacketBlock(p: PacketRecord, commentTexts: readonly string[], le = true): Buffer {
  const opts = comments(commentTexts);
  const b = new BlockBuilder(EPB.data + pad4(p.data.length) + optionsLength(opts) + 4, le);
  b.u32(EPB.interfaceId, p.iface);
  b.u32(EPB.tsHigh, p.tsHigh);
  b.u32(EPB.tsLow, p.tsLow);
  b.u32(EPB.caplen, p.data.length);
  b.u32(EPB.origlen, p.origlen);
  p.data.copy(b.buf, EPB.data);
  if (opts.length > 0) b.options(EPB.data + pad4(p.data.length), opts);
  return b.frame(BlockType.EnhancedPacket);
}

/** Splits a timestamp of whole units (< 2^64) into the two 32-bit halves blocks store. */
export function splitTimestamp(units: bigint): { tsHigh: number; tsLow: number } {
  return { tsHigh: Number((units >> 32n) & 0xffffffffn), tsLow: Number(units & 0xffffffffn) };
}

/** Where the options of a stored block start, or undefined for a block this writer cannot extend. */
function optionsStart(block: Buffer, type: number, le: boolean): number | undefined {
  const u32 = (off: number): number => (le ? block.readUInt32LE(off) : block.readUInt32BE(off));
  switch (type) {
    case BlockType.SectionHeader: return SHB.options;
    case BlockType.InterfaceDescription: return IDB.options;
    case BlockType.EnhancedPacket: return EPB.data + pad4(u32(EPB.caplen));
    case BlockType.ObsoletePacket: return OPB.data + pad4(u32(OPB.caplen));
    default: return undefined;
  }
}

/**
 * A stored block (as the reader handed it over) with comments added after its own options, which
 * are kept, comments included. An SHB's section length becomes -1 (unknown), since the section
 * grows. A Simple Packet Block has no options: it becomes an EPB on interface 0 with timestamp 0
 * (what a reader shows for it). Returns the block unchanged when there is nothing to add.
 */
export function blockWithComments(block: Buffer, le: boolean, commentTexts: readonly string[]): Buffer {
  if (commentTexts.length === 0) return block;
  const u32 = (off: number): number => (le ? block.readUInt32LE(off) : block.readUInt32BE(off));
  const u16 = (off: number): number => (le ? block.readUInt16LE(off) : block.readUInt16BE(off));
  const type = u32(BLOCK.type);
  if (type === BlockType.SimplePacket) {
    const origlen = u32(SPB.origlen);
    const data = block.subarray(SPB.data, SPB.data + Math.min(origlen, block.length - SPB.minLength));
    return enhancedPacketBlock({ iface: 0, tsHigh: 0, tsLow: 0, origlen, data }, commentTexts, le);
  }
  const start = optionsStart(block, type, le);
  const end = block.length - 4;
  if (start === undefined || start > end) return block;
  // The block's own options up to opt_endofopt (or the last whole option, when they are damaged).
  let p = start;
  while (p + 4 <= end) {
    const code = u16(p);
    const olen = u16(p + 2);
    if (code === OPT_END || p + 4 + olen > end) break;
    p += 4 + pad4(olen);
  }
  const ownOptionsEnd = Math.min(p, end);
  const opts = comments(commentTexts);
  const b = new BlockBuilder(ownOptionsEnd + optionsLength(opts) + 4, le);
  block.copy(b.buf, 0, 0, ownOptionsEnd);
  b.options(ownOptionsEnd, opts);
  if (type === BlockType.SectionHeader) b.buf.fill(0xff, SHB.sectionLength, SHB.sectionLength + 8);
  return b.frame(type);
}

/** The type of a stored block, read in its byte order. */
export const blockType = (block: Buffer, le: boolean): number => (le ? block.readUInt32LE(BLOCK.type) : block.readUInt32BE(BLOCK.type));
