#!/usr/bin/env bash
# samples/demo.pcapng for `npm run demo`: merges a few of the captures above (run after them).
set -euo pipefail
exec /usr/bin/python3 "$(dirname "$0")/../make-demo.py"
