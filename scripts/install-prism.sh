#!/usr/bin/env bash
# The Twilio API mock the SMS tests run against: Stoplight Prism serving Twilio's official
# OpenAPI description of its 2010 API. Installed from npm into a cache folder; idempotent.
#   Prism 5.14.2: the last release that runs on Node 18/20 (Debian 12 ships Node 18).
#   twilio_api_v2010.json (MIT) comes from the @twilio-alpha/mcp package, pinned by checksum.
set -euo pipefail

dir=${HOTLINE_PRISM_DIR:-$HOME/.cache/hotline12368/prism}
spec_sum=475b69553e34e797af05d34679cdad3bc3b8b4b8b92e6ac044fa6ebc255bf052
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v npm >/dev/null; then
    if command -v node >/dev/null; then
        echo "install-prism.sh: node is installed without npm; install npm for it" >&2
        exit 1
    fi
    [[ $EUID -eq 0 ]] || { echo "install-prism.sh: run as root to install nodejs and npm" >&2; exit 1; }
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm
fi

mkdir -p "$dir"
if [[ ! -x $dir/node_modules/.bin/prism ]]; then
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error --save-exact \
        @stoplight/prism-cli@5.14.2
fi
spec=$dir/twilio_api_v2010.json
if ! echo "$spec_sum  $spec" | sha256sum -c --status - 2>/dev/null; then
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent @twilio-alpha/mcp@0.7.0 >/dev/null \
        && tar -xzf twilio-alpha-mcp-0.7.0.tgz package/twilio-oai/spec/json/twilio_api_v2010.json)
    echo "$spec_sum  $tmp/package/twilio-oai/spec/json/twilio_api_v2010.json" | sha256sum -c --quiet -
    mv "$tmp/package/twilio-oai/spec/json/twilio_api_v2010.json" "$spec"
    rm -rf "$tmp"
fi
# Twilio's description lists only the success responses; the mock needs the errors too
# (500, 429 with Retry-After, 400…) so the tests can ask for them with `Prefer: code=…`.
python3 "$here/../tests/support/twilio_errors.py" "$spec" "$dir/twilio_api_v2010.mock.json"
