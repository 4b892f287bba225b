// Retransmission marking against tshark's tcp.analysis.retransmission over every TCP capture of the
// public corpus (fixture made by make-tshark-retransmissions.py). Differences must be explained in
// EXPLAINED below, frame by frame; anything else fails.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runPath } from './pipeline.js';

import { CORPUS as CAPTURES } from '../../support/corpus.js';
const fixture = JSON.parse(readFileSync(new URL('./tshark-retransmissions.json', import.meta.url), 'utf8')) as { files: Record<string, number[]> };

/** `file` → frames where we differ from tshark, with the reason. */
const EXPLAINED: Record<string, { onlyTshark?: number[]; onlyOurs?: number[]; why: string }> = {
  'zeek/ipv6-http-atomic-frag.pcap': {
    onlyTshark: [8],
    why: 'timestamps run backwards (frame 8 is older than 6 and 7): the server ACK in frame 6 covers bytes not seen yet, tshark moves its next sequence number past them and then calls their first transmission (frame 8) a spurious retransmission; these bytes pass here once',
  },
  'pcapplusplus/PacketTest/dns_over_tcp.pcapng': {
    onlyTshark: [4],
    why: 'frames 1 and 4 share a 4-tuple but lie 70 days apart; our state expires after 5 min idle (bounded state), so frame 4 starts a new mid-stream connection; tshark keeps the stream forever and compares sequence numbers across the gap',
  },
};

const files = Object.keys(fixture.files).filter((f) => existsSync(`${CAPTURES}/${f}`));

describe.skipIf(files.length === 0)('retransmissions vs tshark on the corpus', () => {
  it.each(files)('%s', async (file) => {
    const { records } = await runPath(`${CAPTURES}/${file}`);
    const ours = new Set<number>();
    for (const r of records) {
      if (r.type !== 'connection') continue;
      for (const n of r.toServer.retransmissionFrames) ours.add(n);
      for (const n of r.toClient.retransmissionFrames) ours.add(n);
    }
    const theirs = new Set(fixture.files[file]);
    const onlyTshark = [...theirs].filter((n) => !ours.has(n)).sort((a, b) => a - b);
    const onlyOurs = [...ours].filter((n) => !theirs.has(n)).sort((a, b) => a - b);
    const ex = EXPLAINED[file];
    expect({ onlyTshark, onlyOurs }).toEqual({ onlyTshark: ex?.onlyTshark ?? [], onlyOurs: ex?.onlyOurs ?? [] });
  });
});
