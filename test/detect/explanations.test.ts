// The explanations board holds one record's kinds at a time, in a list it writes over for each
// record: a later record must not see an earlier one's kinds, nor a kind twice.
import { describe, expect, it } from 'vitest';
import { Explanations } from '../../src/detect/index.js';

describe('Explanations', () => {
  it('tells the kinds of the record being observed only, each once', () => {
    const board = new Explanations();
    const first = {};
    const second = {};
    expect(board.explainedBy(first)).toEqual([]);
    board.explain(first, 'dns.aaaa_unanswered');
    board.explain(first, 'dns.local_zone_leak');
    board.explain(first, 'dns.aaaa_unanswered');
    expect(board.explainedBy(first)).toEqual(['dns.aaaa_unanswered', 'dns.local_zone_leak']);
    board.explain(second, 'dns.same_port_reply_drop');
    expect(board.explainedBy(second)).toEqual(['dns.same_port_reply_drop']);
    expect(board.explainedBy(first)).toEqual([]);
  });

  it('a list read earlier does not change when the board moves on', () => {
    const board = new Explanations();
    const first = {};
    board.explain(first, 'dns.local_zone_leak');
    const told = board.explainedBy(first);
    board.explain({}, 'dns.aaaa_unanswered');
    expect(told).toEqual(['dns.local_zone_leak']);
  });
});
