#!/usr/bin/env python3
"""One-off: tshark's tcp.analysis.retransmission frames for every corpus capture with TCP.

Writes test/reconstruct/path/tshark-retransmissions.json: {"tshark": version, "files": {path: [frames]}}.
Run from the repository root: python3 test/reconstruct/path/make-tshark-retransmissions.py
"""
import json, subprocess, pathlib

CAPTURES = pathlib.Path('/work/shared/captures')
manifest = json.loads((CAPTURES / 'manifest.json').read_text())
version = subprocess.run(['tshark', '--version'], capture_output=True, text=True).stdout.splitlines()[0]
out = {}
for f in manifest['files']:
    if not f.get('tshark', {}).get('protocol_frames', {}).get('tcp'):
        continue
    r = subprocess.run(['tshark', '-n', '-r', str(CAPTURES / f['path']), '-Y', 'tcp.analysis.retransmission',
                        '-T', 'fields', '-e', 'frame.number'], capture_output=True, text=True)
    out[f['path']] = [int(x) for x in r.stdout.split()]
dest = pathlib.Path(__file__).with_name('tshark-retransmissions.json')
dest.write_text(json.dumps({'tshark': version, 'files': out}, indent=1) + '\n')
print(f'{len(out)} files, {sum(len(v) for v in out.values())} retransmissions -> {dest}')
