#!/usr/bin/env bash
# Install the headless browser that tests/test_tools/test_web_demo.py drives:
# Debian's chromium and its chromedriver (no browser build is downloaded at
# run time, so Selenium Manager is never needed).
#
# Usage: bash tools/install_browser.sh
#
# Idempotent: when both are installed it returns at once. Needs root (or
# sudo) and Debian's package archive; on another system install chromium and
# chromedriver yourself and put them at /usr/bin/chromium and
# /usr/bin/chromedriver, or set MMZS3_CHROMIUM / MMZS3_CHROMEDRIVER.
set -euo pipefail

CHROMIUM=${MMZS3_CHROMIUM:-/usr/bin/chromium}
CHROMEDRIVER=${MMZS3_CHROMEDRIVER:-/usr/bin/chromedriver}
PACKAGES=(chromium chromium-driver fonts-dejavu-core)

log() { printf '[mmzs3-browser %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

if [ -x "$CHROMIUM" ] && [ -x "$CHROMEDRIVER" ]; then
  log "found $CHROMIUM and $CHROMEDRIVER"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  log "no apt-get: install chromium and chromedriver yourself" \
    "($CHROMIUM, $CHROMEDRIVER, or set MMZS3_CHROMIUM / MMZS3_CHROMEDRIVER)"
  exit 1
fi
SUDO=()
if [ "$(id -u)" != 0 ]; then
  SUDO=(sudo)
fi
start=$SECONDS
log "installing ${PACKAGES[*]} from Debian's archive"
"${SUDO[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq \
  --no-install-recommends "${PACKAGES[@]}" >/dev/null
"$CHROMIUM" --version
log "done in $((SECONDS - start)) s"
