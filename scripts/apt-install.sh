#!/usr/bin/env bash
# Installs Debian packages when missing; runs apt-get update once per call.
set -euo pipefail
missing=()
# dpkg -s also succeeds for a removed package whose config files remain ("deinstall ok
# config-files"): only "install ok installed" counts.
installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
for p in "$@"; do installed "$p" || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
