#!/usr/bin/env bash
# Idempotent set-up for a fresh machine (Debian, Node 20): npm packages, the build, and — when
# root — the Debian packages the tests use (chromium for the browser tests; dumpcap, tcpdump and
# iproute2 and ping for the live-capture test; tshark for the sharing tests; redis-server and editcap for the batch tests). Each step is skipped when already done, so running it again costs a second.
set -euo pipefail
cd "$(dirname "$0")/.."

want_apt="${DUALSCOPE_APT:-auto}" # auto | no
need=()
if [[ "$want_apt" != no && $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  command -v chromium >/dev/null || need+=(chromium)
  command -v tcpdump >/dev/null || need+=(tcpdump)
  command -v dumpcap >/dev/null || need+=(wireshark-common) # dumpcap: live capture's preferred backend (pcapng, ISB drops)
  command -v editcap >/dev/null || need+=(wireshark-common) # editcap: the correlate tests shift and cut lab captures
  command -v ip >/dev/null || need+=(iproute2)
  command -v ping >/dev/null || need+=(iputils-ping) # the live-capture test's traffic; Debian's base image has no ping
  command -v tshark >/dev/null || need+=(tshark) # the sharing tests: tshark must show dualscope's pcapng comments
  command -v redis-server >/dev/null || need+=(redis-server) # the batch --queue test (BullMQ) starts its own on a free port
  # The lab (npm run samples) installs its own servers and filters; the tests need none of them.
  if ((${#need[@]})); then
    echo "setup: apt-get install ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    # wireshark-common asks whether non-root users may capture; answer it before apt does.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
    apt-get update -qq -o DPkg::Lock::Timeout=600 >/dev/null || echo "setup: apt-get update failed; trying the install anyway" >&2
    apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${need[@]}" >/dev/null \
      || echo "setup: could not install ${need[*]}; tests that need them will say so and skip" >&2
  fi
fi

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

# Rebuild when any source is newer than the last build.
if [[ ! -f dist/.stamp ]] || [[ -n $(find src bench test/fuzz tsconfig.json -newer dist/.stamp -print -quit 2>/dev/null) ]]; then
  echo "setup: tsc" >&2
  npm run build --silent
  touch dist/.stamp
fi
