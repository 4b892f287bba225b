// Big-endian reads by index. Buffer#readUInt16BE costs ~5 ns with its bounds check; callers here
// have already checked the length once (STYLE.md), so these plain index reads are safe and ~5× cheaper.

export const u16 = (b: Buffer, o: number): number => (b[o] << 8) | b[o + 1];
export const u32 = (b: Buffer, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
