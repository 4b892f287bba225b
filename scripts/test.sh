#!/usr/bin/env bash
# The test command (README, CI): set up, type-check, lint, then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc -p tsconfig.test.json   # the tests type-check too (vitest only strips types)
npx eslint .                    # floating promises and unused code (eslint.config.js)
npx vitest run "$@"
