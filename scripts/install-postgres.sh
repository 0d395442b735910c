#!/usr/bin/env bash
# Installs Debian's PostgreSQL server binaries for the test suite (tests/support/postgres.py).
# Tests start their own throwaway server on 127.0.0.1, so Debian's default "main" cluster is
# neither created nor started. Idempotent; run as root. Usage: bash scripts/install-postgres.sh
set -euo pipefail

if compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
    exit 0
fi
if [[ $EUID -ne 0 ]]; then
    echo "install-postgres.sh: must run as root to apt-get install postgresql" >&2
    exit 1
fi

# postgresql-common reads createcluster.d/*.conf before creating the default cluster; "off"
# makes the package's postinst skip pg_createcluster, so there is nothing to start.
no_cluster=/etc/postgresql-common/createcluster.d/zz-hotline-tests-no-main-cluster.conf
# Belt and braces: a policy-rc.d exiting 101 forbids invoke-rc.d/deb-systemd-invoke to start
# any service during the install. Docker images often ship one already: keep and restore it.
policy=/usr/sbin/policy-rc.d
policy_backup=""
cleanup() {
    rm -f "$no_cluster"
    if [[ -n $policy_backup ]]; then mv -f "$policy_backup" "$policy"; else rm -f "$policy"; fi
}
trap cleanup EXIT
if [[ -e $policy ]]; then
    policy_backup=$(mktemp /usr/sbin/policy-rc.d.hotline.XXXXXX)
    cp -p "$policy" "$policy_backup"
fi
mkdir -p "$(dirname "$no_cluster")"
echo "create_main_cluster = off" >"$no_cluster"
printf '#!/bin/sh\nexit 101\n' >"$policy"
chmod 755 "$policy"

apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql
}
# apt-get update only when there are no package lists, or when they are stale (install fails).
if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    apt-get update
fi
if ! apt_install; then
    echo "install-postgres.sh: retrying after apt-get update" >&2
    apt-get update
    apt_install
fi

# Should find nothing; stops a leftover cluster (from an earlier, unpurged install) if one
# was started anyway. Its data is kept.
pg_lsclusters -h | while read -r version name _port status _rest; do
    if [[ $status == online* ]]; then
        pg_ctlcluster "$version" "$name" stop
    fi
done
echo "install-postgres.sh: installed $(compgen -G '/usr/lib/postgresql/*/bin/initdb' | head -n1)"
