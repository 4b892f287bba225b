// The readers layer: files, gzip, stdin and streams → Frame. Everything after imports from here.
export type { CaptureFormat, CaptureInfo, Frame, FrameHandler, InterfaceInfo } from './frame.js';
export { ChunkFrame } from './frame.js';
export { CaptureParser, type ParserInfo, type RawRecord, type RecordHandler } from './capture-parser.js';
export { readCapture, readCaptureStream, DEFAULT_CHUNK_SIZE, type ReadOptions } from './read-capture.js';
export { MAX_RECORD_BYTES, PCAP_DEFAULT_MAX_CAPLEN, PCAP_FILE_HEADER, PCAP_LINKTYPE_MASK, PcapMagic, BLOCK, BlockType, EPB, IDB, OPB, PCAPNG_BYTE_ORDER_MAGIC, SHB, SPB } from './formats.js';
export { LIVE_BACKENDS, LiveCaptureError, listInterfaces, startLiveCapture, type LiveCapture, type LiveResult } from './live.js';
export { isGzipFile, planPieces, readPiece, RenumberedFrame, StopReading, type Piece, type PlanOptions } from './pieces.js';
