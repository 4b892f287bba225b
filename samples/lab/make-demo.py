#!/usr/bin/python3
"""samples/demo.pcapng: a small mix of lab captures (merged with mergecap, chronologically; the
sources were taken one after the other, so their frames stay contiguous) and expected/demo.json,
built from the sources' expected files with frame numbers shifted. Never runs dualscope."""
import json
import os
import subprocess
import sys

SAMPLES = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
SOURCES = ['same-port-drop-aaaa-client.pcap', 'aaaa-unanswered-client.pcapng', 'pmtud-v6-blackhole-server.pcap',
           'fallback-happy-eyeballs-client.pcap', 'rfc6303-leak-client.pcap']


def span(path):
    out = subprocess.run(['tshark', '-r', path, '-T', 'fields', '-e', 'frame.time_epoch'], capture_output=True,
                         text=True, check=True).stdout.split()
    return float(out[0]), float(out[-1]), len(out)


def main():
    info = []
    for s in SOURCES:
        p = os.path.join(SAMPLES, s)
        with open(os.path.join(SAMPLES, 'expected', os.path.splitext(s)[0] + '.json')) as fh:
            exp = json.load(fh)
        first, last, n = span(p)
        info.append((first, last, n, s, exp))
    info.sort()
    for a, b in zip(info, info[1:]):
        if a[1] >= b[0]:
            sys.exit(f'make-demo: {a[3]} and {b[3]} overlap in time; frame numbers would interleave')
    out = os.path.join(SAMPLES, 'demo.pcapng')
    subprocess.run(['mergecap', '-F', 'pcapng', '-w', out] + [os.path.join(SAMPLES, i[3]) for i in info], check=True)
    total = span(out)[2]
    if total != sum(i[2] for i in info):
        sys.exit('make-demo: frame count mismatch')
    must, may, not_sets, obs, offset = [], set(), [], [], 0
    for first, last, n, s, exp in info:
        for f in exp['mustFind']:
            g = dict(f)
            g['frames'] = [x + offset for x in f['frames']]
            g['source'] = s
            must.append(g)
        may |= set(exp['mayFind'])
        not_sets.append(set(exp['mustNotFind']))
        obs.append(f"frames {offset + 1}-{offset + n} are {s} ({exp['scenario']}, {exp['capturePoint']} side)")
        offset += n
    found = {f['kind'] for f in must}
    doc = {'capture': 'demo.pcapng', 'scenario': 'demo (mix)', 'capturePoint': 'mixed', 'format': 'pcapng', 'linkType': 1,
           'topology': 'several lab topologies, one after the other; see the sources\' expected files',
           'mustFind': must, 'mustNotFind': sorted(set.intersection(*not_sets) - found), 'mayFind': sorted(may - found),
           'observed': '; '.join(obs) + '. Frame numbers in mustFind are shifted accordingly (each entry names its source).'}
    with open(os.path.join(SAMPLES, 'expected', 'demo.json'), 'w') as fh:
        json.dump(doc, fh, indent=2)
        fh.write('\n')
    print(f'make-demo: samples/demo.pcapng, {total} frames, {len(must)} findings expected', file=sys.stderr)


if __name__ == '__main__':
    main()
