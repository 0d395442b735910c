#!/usr/bin/env bash
# Debian packages the hotline needs on the host. Idempotent and quick when all are there;
# runs `apt-get update` only when something is missing. Asterisk itself is not here: it is
# not in Debian 12, so `hotline pbx provision` installs Debian sid's into a cached chroot.
set -euo pipefail

packages=(
    espeak-ng      # Mandarin prompts (voice cmn)
    sox            # converts prompts to 8 kHz telephone audio
    ffmpeg         # pydub decodes recordings in any format with it
    debootstrap    # the Asterisk chroot
    sip-tester     # sipp: a real SIP seat phone / trunk in the tests
    util-linux     # unshare: private mount namespace for the chroot; nsenter: its console
    gcc            # builds the PBX's bind shim (asterisk_conf/bind_to_host.c)
    libc6-dev
    python3-venv
    chromium            # the web pages' tests run in a real headless browser
    fonts-wqy-microhei  # so Chinese text renders (and shows in screenshots)
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    if [[ $EUID -ne 0 ]]; then
        echo "install-system-deps.sh: run as root to install: ${missing[*]}" >&2
        exit 1
    fi
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
bash "$(dirname "$0")/install-postgres.sh"
bash "$(dirname "$0")/install-prism.sh"
bash "$(dirname "$0")/install-jssip.sh"
