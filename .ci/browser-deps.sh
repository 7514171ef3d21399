#!/usr/bin/env bash
# What the browser tests (tests/RnnLm.Browser.Tests) drive: Debian's Chromium and its WebDriver, installed from Debian
# when missing (as root or with passwordless sudo). Nothing downloads a browser of its own. Without them the browser
# tests fail, saying what to install.
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif sudo -n true 2>/dev/null; then sudo -n "$@"; else return 1; fi; }
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  { as_root apt-get update -q && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; } >/dev/null ||
    { echo "The browser tests need chromium and chromium-driver and they cannot be installed here (not root, no passwordless sudo): apt-get install -y chromium chromium-driver" >&2; exit 1; }
fi
chromium --version 2>/dev/null | head -n 1
chromedriver --version | head -n 1
