#!/usr/bin/env bash
# Installs etcd (server and etcdctl) from Debian's etcd-server/etcd-client packages; a no-op when already there.
# Used by .ci/run before the tests: the etcd backend suite, the HA test and the member-kill test start their own
# throwaway etcd processes from /usr/bin/etcd. Never starts etcd as a service.
set -euo pipefail

have() { command -v etcd >/dev/null 2>&1 && command -v etcdctl >/dev/null 2>&1; }

if have; then
  echo "etcd already installed: $(etcd --version | head -1)"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: etcd is missing and installing it needs root (apt-get install etcd-server etcd-client)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# The package's post-install tries to start an etcd service; forbid that for the duration of the install
# (policy-rc.d exit 101 = "action not allowed"), restoring any policy that was already there.
policy=/usr/sbin/policy-rc.d
saved=""
if [ -e "$policy" ]; then saved="$(mktemp)"; cp -p "$policy" "$saved"; fi
restore() { if [ -n "$saved" ]; then mv "$saved" "$policy"; else rm -f "$policy"; fi; }
trap restore EXIT
printf '#!/bin/sh\nexit 101\n' > "$policy"
chmod +x "$policy"

if ! apt-get install -y --no-install-recommends etcd-server etcd-client; then
  apt-get update
  apt-get install -y --no-install-recommends etcd-server etcd-client
fi
have
echo "installed: $(etcd --version | head -1)"
