#!/bin/bash
# Write (or rewrite) a node's CNI network for a podCIDR known only after set-up (the Node's spec.podCIDR).
#
# usage: scripts/node/cni-config.sh DATA_DIR --pod-cidr CIDR
#
# Run by the kubelet when the node was set up with --no-pod-cidr and the node IPAM controller has given the
# Node a podCIDR. Writes DATA_DIR/cni/net.d/10-<bridge>.conflist and records POD_CIDR/POD_GATEWAY in
# node.env. containerd watches the conf dir, so no restart is needed. Refuses a CIDR that overlaps another
# running tskube node's on this host. Prints one "cni-config: …" line; exits non-zero with "cni-config: error: …".
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

die() { echo "cni-config: error: $*" >&2; exit 1; }
ARG_DATA_DIR= POD_CIDR=
while [ $# -gt 0 ]; do
  case "$1" in
    --pod-cidr) POD_CIDR=${2:?--pod-cidr needs a value}; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) [ -z "$ARG_DATA_DIR" ] || die "only one DATA_DIR may be given"; ARG_DATA_DIR=$1; shift ;;
  esac
done
[ -n "$ARG_DATA_DIR" ] && [ -n "$POD_CIDR" ] || die "usage: cni-config.sh DATA_DIR --pod-cidr CIDR"
[ "$(id -u)" = 0 ] || die "must run as root"
node_layout "$ARG_DATA_DIR" || exit 1
[ -f "$NODE_ENV" ] || die "$NODE_ENV is missing: run setup.sh $DATA_DIR first"
read -r POD_NET POD_GATEWAY < <(pod_network "$POD_CIDR") || die "--pod-cidr $POD_CIDR: an IPv4 network of /29 or larger is needed"
NETWORK=$(node_env_get CNI_NETWORK)
BRIDGE=$(node_env_get CNI_BRIDGE)
[ -n "$NETWORK" ] && [ -n "$BRIDGE" ] || die "$NODE_ENV names no CNI network or bridge"
clash=$(other_node_clash "$BRIDGE" "$POD_NET") || die "$clash"
mkdir -p "$CNI_CONF_DIR" "$CNI_IPAM_DIR"
# node.env first: once the conflist exists, pods start, and teardown/setup must know the CIDR they use.
awk -F= -v net="$POD_NET" -v gw="$POD_GATEWAY" '
  $1 == "POD_CIDR" { print "POD_CIDR=" net; next }
  $1 == "POD_GATEWAY" { print "POD_GATEWAY=" gw; next }
  { print }' "$NODE_ENV" | write_if_changed "$NODE_ENV" || true
if write_cni_network "$NETWORK" "$BRIDGE" "$POD_NET" "$POD_GATEWAY"; then
  echo "cni-config: wrote CNI network $NETWORK for pods $POD_NET (gateway $POD_GATEWAY)"
else
  echo "cni-config: CNI network $NETWORK already serves pods $POD_NET"
fi
link_pod_networks "$NETWORK" "$POD_NET"
