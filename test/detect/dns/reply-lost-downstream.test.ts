// The server-side tracker of answered A/AAAA rounds (reply-lost-downstream.ts) keeps its rounds in
// typed arrays, not as the lookups: these tests feed it the lookups of a real server-side capture
// and check that what it remembers and forgets is what its options say.
import { describe, expect, it } from 'vitest';
import { DownstreamLossTracker } from '../../../src/detect/dns/reply-lost-downstream.js';
import type { DnsAttempt, DnsLookup } from '../../../src/reconstruct/dns/index.js';
import { runDns } from '../../reconstruct/dns/pipeline.js';

const OPTIONS = { minRetryMicros: 500_000, maxRetryMicros: 30_000_000 };

async function lookups(capture: string): Promise<DnsLookup[]> {
  return (await runDns(`samples/${capture}`)).records.filter((r): r is DnsLookup => r.type === 'lookup');
}

/** A copy of a lookup's answered rounds moved to another client port: another socket's round. */
function onPort(l: DnsLookup, port: number): DnsLookup {
  const move = (a: DnsAttempt): DnsAttempt => ({ ...a, clientPort: port, afterAnswer: false });
  return { ...l, questions: l.questions.map((q) => ({ ...q, attempts: q.attempts.filter((a) => !a.afterAnswer).map(move) })) };
}

function feed(tracker: DownstreamLossTracker, ls: readonly DnsLookup[], filler: DnsLookup | undefined, fillers: number) {
  const losses = [];
  for (const [i, l] of ls.entries()) {
    // Other sockets' rounds between the first round and the re-ask, when asked for.
    if (i > 0 && filler !== undefined) for (let k = 0; k < fillers; k++) tracker.observe(onPort(filler, 40000 + k));
    losses.push(...tracker.observe(l));
  }
  return losses;
}

describe('DownstreamLossTracker on a server-side capture (same-port-drop-aaaa-server)', () => {
  it('reports each round the client re-asked, with the first round as it left here', async () => {
    const ls = await lookups('same-port-drop-aaaa-server.pcap');
    const losses = feed(new DownstreamLossTracker({ ...OPTIONS, maxRemembered: 4096 }), ls, undefined, 0);
    expect(losses.length).toBe(2);
    for (const x of losses) {
      // the remembered round's packets are real frames of the capture, answered before the re-ask
      expect(x.first.aSent.frame).toBeGreaterThan(0);
      expect(x.first.aReply.time).toBeGreaterThan(x.first.aSent.time);
      expect(x.first.aaaaReply.time).toBeGreaterThan(x.first.aaaaSent.time);
      expect(x.reasks[0]!.queries[0]!.time).toBeGreaterThan(x.first.aaaaReply.time);
      expect(x.reasks.every((r) => r.clientPort === x.first.clientPort && r.server === x.first.server)).toBe(true);
      expect([x.first.aId, x.first.aaaaId]).toContain(x.reasks[0]!.id);
    }
  });

  it('remembers the newest maxRemembered rounds: one more round in between and the oldest is gone', async () => {
    const ls = await lookups('same-port-drop-aaaa-server.pcap');
    // In this capture each round is in one lookup and its re-ask in the next (glibc re-asks two
    // seconds later): the fillers are the only rounds between them.
    expect(ls.map((l) => l.questions.some((q) => q.attempts.some((a) => a.afterAnswer)))).toEqual([false, true, false, true]);
    const cap = 8;
    const found = (fillers: number) => feed(new DownstreamLossTracker({ ...OPTIONS, maxRemembered: cap }), ls, ls[0], fillers).length;
    expect(found(0)).toBe(2);
    expect(found(cap - 1)).toBe(2);
    expect(found(cap)).toBe(0);
    expect(feed(new DownstreamLossTracker({ ...OPTIONS, maxRemembered: 0 }), ls, undefined, 0).length).toBe(0);
  });

  it("a socket's newer round replaces its older one (the re-ask is judged against the newest)", async () => {
    const ls = await lookups('same-port-drop-aaaa-server.pcap');
    const port = ls[0]!.questions[0]!.attempts[0]!.clientPort;
    const tracker = () => new DownstreamLossTracker({ ...OPTIONS, maxRemembered: 16 });
    const plain = tracker();
    plain.observe(ls[0]!);
    expect(plain.observe(ls[1]!).length).toBe(1);
    // Another round (other ids) on the same socket after the first: the re-ask's ids match nothing.
    const replaced = tracker();
    replaced.observe(ls[0]!);
    replaced.observe(onPort(ls[2]!, port));
    expect(replaced.observe(ls[1]!).length).toBe(0);
  });
});
