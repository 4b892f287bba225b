#!/usr/bin/python3
"""UDP delay relay (stdlib only): the lab kernel has no sch_netem, so WAN latency is added here.

  delayrelay.py --listen ADDR PORT --to ADDR PORT --delay-ms 40
Every datagram from a client is sent on to the upstream after --delay-ms, from a socket of its own
per client (so the upstream sees one 5-tuple per client 5-tuple), and every reply goes back to the
client after the same delay. Payloads are never changed.
"""
import argparse
import heapq
import itertools
import selectors
import socket
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--listen', nargs=2, required=True)
    ap.add_argument('--to', nargs=2, required=True)
    ap.add_argument('--delay-ms', type=float, default=40)
    a = ap.parse_args()
    delay = a.delay_ms / 1000
    fam = lambda h: socket.AF_INET6 if ':' in h else socket.AF_INET
    front = socket.socket(fam(a.listen[0]), socket.SOCK_DGRAM)
    front.bind((a.listen[0], int(a.listen[1])))
    up_addr = (a.to[0], int(a.to[1]))
    sel = selectors.DefaultSelector()
    sel.register(front, selectors.EVENT_READ, None)
    uplinks = {}  # client addr -> socket
    queue, seq = [], itertools.count()
    while True:
        timeout = max(0, queue[0][0] - time.monotonic()) if queue else None
        for key, _ in sel.select(timeout):
            s = key.fileobj
            data, peer = s.recvfrom(65535)
            if key.data is None:  # from a client
                up = uplinks.get(peer)
                if up is None:
                    up = socket.socket(fam(a.to[0]), socket.SOCK_DGRAM)
                    up.connect(up_addr)
                    uplinks[peer] = up
                    sel.register(up, selectors.EVENT_READ, peer)
                heapq.heappush(queue, (time.monotonic() + delay, next(seq), up, None, data))
            else:  # a reply for client key.data
                heapq.heappush(queue, (time.monotonic() + delay, next(seq), front, key.data, data))
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, s, dest, data = heapq.heappop(queue)
            if dest is None:
                s.send(data)
            else:
                s.sendto(data, dest)


if __name__ == '__main__':
    main()
