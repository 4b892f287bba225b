// decode/sll.ts: Linux "cooked" capture v1 (LINKTYPE_LINUX_SLL 113), what `tcpdump -i any` wrote
// before libpcap 1.10. https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html
import type { Anomalies } from '../core/index.js';
import { u16 } from './bytes.js';
import { decodeEtherPayload } from './ethernet.js';
import type { Link } from './link.js';

const SLL = { packetType: 0, arphrd: 2, addrLen: 4, addr: 6, protocol: 14, headerLen: 16 } as const;

export function decodeSll(b: Buffer, anomalies: Anomalies, off = 0, end = b.length): Link | undefined {
  if (end - off < SLL.headerLen) return anomalies.note('link.short_header');
  return decodeEtherPayload(b, off + SLL.headerLen, u16(b, off + SLL.protocol), anomalies, end);
}
