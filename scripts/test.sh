#!/usr/bin/env bash
# The test command (README, CI): set up, type-check, then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx vitest run "$@"
