#!/usr/bin/env bash
# The test command (README, CI): set up, type-check, then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc -p tsconfig.test.json   # the tests type-check too (vitest only strips types)
npx vitest run "$@"
