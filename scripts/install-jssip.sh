#!/usr/bin/env bash
# JsSIP, the SIP user agent of the seat operators' browser softphone (SIP over WebSocket to
# Asterisk's PJSIP). Installed from npm into a cache folder; idempotent and quick when there.
#   JsSIP 3.13.8: pinned (3.10.x acknowledges its own re-INVITE with a wrong CSeq, so
#   Asterisk refuses the unhold and the call drops). Its npm package ships no browser file,
#   so the browser bundle dist/jssip.min.js (global `JsSIP`) is built here with esbuild
#   0.25.12 (pinned; runs on Node 18/20, which Debian ships).
set -euo pipefail

dir=${HOTLINE_JSSIP_DIR:-$HOME/.cache/hotline12368/jssip}
version=3.13.8
esbuild_version=0.25.12
out=$dir/dist/jssip.min.js
stamp=$dir/dist/.version

if [[ -s $out && -f $stamp && $(cat "$stamp") == "jssip@$version esbuild@$esbuild_version" ]]; then
    exit 0
fi

if ! command -v npm >/dev/null; then
    if command -v node >/dev/null; then
        echo "install-jssip.sh: node is installed without npm; install npm for it" >&2
        exit 1
    fi
    [[ $EUID -eq 0 ]] || { echo "install-jssip.sh: run as root to install nodejs and npm" >&2; exit 1; }
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm
fi

mkdir -p "$dir/dist"
npm install --prefix "$dir" --no-audit --no-fund --loglevel=error --save-exact \
    "jssip@$version" "esbuild@$esbuild_version"
entry=$dir/node_modules/jssip/lib/JsSIP.js
[[ -f $entry ]] || { echo "install-jssip.sh: jssip@$version has no lib/JsSIP.js" >&2; exit 1; }
"$dir/node_modules/.bin/esbuild" "$entry" --bundle --minify --platform=browser \
    --format=iife --global-name=JsSIP --target=es2017 --log-level=warning \
    --outfile="$out.tmp"
mv "$out.tmp" "$out"
echo "jssip@$version esbuild@$esbuild_version" > "$stamp"
