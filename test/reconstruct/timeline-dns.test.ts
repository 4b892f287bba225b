// The timeline's DNS marks: a reply closes the open query it answers (same client port, id, type
// and name), a query asked again under the same key is answered in its place, and open queries are
// bounded (4 per lane allowed), the oldest forgotten first and left unanswered.
import { describe, expect, it } from 'vitest';
import { TimelineCollector, type LaneMark } from '../../src/reconstruct/index.js';
import { A, AAAA, conversation } from '../support/dns-packets.js';

const queries = (marks: readonly LaneMark[]): LaneMark[] => marks.filter((m) => m.type === 'dns-query');

describe('timeline DNS marks', () => {
  it('pairs a reply with its query by port, id, type and name, even under one id', () => {
    const tl = new TimelineCollector();
    const c = conversation('192.0.2.1', '192.0.2.53');
    tl.packet(c.query(0, 5000, 7, 'a.example', A));
    tl.packet(c.query(1, 5000, 7, 'a.example', AAAA)); // same id, other type
    tl.packet(c.query(2, 5001, 7, 'b.example', A)); // same id, other port and name
    tl.packet(c.reply(10, 5000, 7, 'a.example', AAAA, { answers: ['2001:db8::1'] }));
    tl.packet(c.reply(11, 5001, 7, 'b.example', A, { rcode: 3 }));
    tl.packet(c.reply(12, 5000, 7, 'c.example', A)); // matches nothing
    const marks = tl.lanes()[0]!.marks;
    expect(queries(marks).map((m) => m.outcome)).toEqual(['unanswered', 'answered', 'rcode-3']);
    expect(queries(marks)[1]!.frames).toEqual([2, 4]);
    expect(marks.filter((m) => m.type === 'dns-answer').map((m) => m.frame)).toEqual([6]);
  });

  it('answers the latest transmission of a query asked again, once', () => {
    const tl = new TimelineCollector();
    const c = conversation('192.0.2.1', '192.0.2.53');
    tl.packet(c.query(0, 5000, 7, 'a.example', A));
    tl.packet(c.query(1000, 5000, 7, 'a.example', A));
    tl.packet(c.reply(1010, 5000, 7, 'a.example', A, { answers: ['192.0.2.9'] }));
    tl.packet(c.reply(1020, 5000, 7, 'a.example', A, { answers: ['192.0.2.9'] })); // a duplicate: no query left open
    const marks = tl.lanes()[0]!.marks;
    expect(queries(marks).map((m) => [m.frame, m.outcome])).toEqual([[1, 'unanswered'], [2, 'answered']]);
    expect(marks.filter((m) => m.type === 'dns-answer').map((m) => m.frame)).toEqual([4]);
  });

  it('forgets the oldest open queries past the bound', () => {
    const tl = new TimelineCollector({ maxLanes: 1 }); // 4 open queries
    const c = conversation('192.0.2.1', '192.0.2.53');
    for (let i = 0; i < 6; i++) tl.packet(c.query(i, 5000, 100, `n${i}.example`, A)); // one id: one chain
    for (let i = 0; i < 6; i++) tl.packet(c.reply(10 + i, 5000, 100, `n${i}.example`, A, { answers: ['192.0.2.9'] }));
    const marks = tl.lanes()[0]!.marks;
    expect(queries(marks).map((m) => m.outcome)).toEqual(['unanswered', 'unanswered', 'answered', 'answered', 'answered', 'answered']);
    expect(marks.filter((m) => m.type === 'dns-answer').map((m) => m.frame)).toEqual([7, 8]);
  });

  it('forgets the oldest query still open, past one answered in between', () => {
    const tl = new TimelineCollector({ maxLanes: 1 }); // 4 open queries
    const c = conversation('192.0.2.1', '192.0.2.53');
    for (let i = 0; i < 4; i++) tl.packet(c.query(i, 5000 + i, 100 + i, `n${i}.example`, A)); // frames 1–4
    tl.packet(c.reply(5, 5001, 101, 'n1.example', A, { answers: ['192.0.2.9'] })); // frame 5: n1 leaves the middle
    for (let i = 4; i < 7; i++) tl.packet(c.query(i + 2, 5000 + i, 100 + i, `n${i}.example`, A)); // frames 6–8: n0, then n2 forgotten
    for (const i of [0, 2, 3, 4, 5, 6]) tl.packet(c.reply(20 + i, 5000 + i, 100 + i, `n${i}.example`, A, { answers: ['192.0.2.9'] })); // frames 9–14
    const marks = tl.lanes()[0]!.marks;
    expect(queries(marks).map((m) => m.outcome)).toEqual(['unanswered', 'answered', 'unanswered', 'answered', 'answered', 'answered', 'answered']);
    expect(marks.filter((m) => m.type === 'dns-answer').map((m) => m.frame)).toEqual([9, 10]);
  });
});
