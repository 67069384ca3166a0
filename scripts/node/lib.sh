# Shared by setup.sh and teardown.sh: the on-disk layout of a tskube node under DATA_DIR, and helpers.
# shellcheck shell=bash
#
# DATA_DIR/
#   node.env                 facts about this node for teardown.sh and the kubelet (KEY=value lines)
#   containerd/              config.toml, containerd.sock(+.ttrpc), containerd.pid, containerd.log,
#                            root/ (content, snapshots, metadata), state/, runc/ (runc --root), opt/
#   cni/net.d/               our CNI conflist (containerd watches this directory)
#   cni/ipam/                host-local IPAM leases
#   images/                  pause binary and the OCI tarballs imported into containerd

node_layout() {
  local data_dir=$1
  case "$data_dir" in /*) ;; *) data_dir="$(pwd)/$data_dir" ;; esac
  data_dir=${data_dir%/}
  if [[ ! "$data_dir" =~ ^/[A-Za-z0-9._/-]+$ ]]; then
    echo "tskube-node: DATA_DIR must be a path of letters, digits and . _ / - only (got '$data_dir')" >&2
    return 1
  fi
  DATA_DIR=$data_dir
  NODE_ENV=$DATA_DIR/node.env
  CTRD_DIR=$DATA_DIR/containerd
  CTRD_CONFIG=$CTRD_DIR/config.toml
  CTRD_SOCKET=$CTRD_DIR/containerd.sock
  CTRD_PID_FILE=$CTRD_DIR/containerd.pid
  CTRD_LOG=$CTRD_DIR/containerd.log
  CNI_CONF_DIR=$DATA_DIR/cni/net.d
  CNI_IPAM_DIR=$DATA_DIR/cni/ipam
  IMAGES_DIR=$DATA_DIR/images
  # The CRI namespace: images must be imported here for the CRI plugin to see them.
  CTRD_NAMESPACE=k8s.io
}

# now_ms: milliseconds since the epoch, for the progress lines' timings.
now_ms() { date +%s%3N; }

# containerd_pid: print the PID of the containerd serving this DATA_DIR, or fail when none runs.
# The PID file alone is not trusted (PIDs are reused): the process must run our config file.
containerd_pid() {
  local pid
  [ -f "$CTRD_PID_FILE" ] || return 1
  pid=$(cat "$CTRD_PID_FILE" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "--config $CTRD_CONFIG " || return 1
  echo "$pid"
}

# ctrd: ctr against our socket in the CRI namespace, never hanging longer than $CTR_TIMEOUT seconds.
ctrd() { timeout -k 2 "${CTR_TIMEOUT:-20}" ctr --address "$CTRD_SOCKET" --namespace "$CTRD_NAMESPACE" "$@"; }

# node_env_get KEY: print KEY's value from node.env (empty when absent).
node_env_get() {
  [ -f "$NODE_ENV" ] || return 0
  awk -F= -v k="$1" '$1 == k { sub(/^[^=]*=/, ""); print; exit }' "$NODE_ENV"
}

# write_if_changed FILE: replace FILE with stdin when the content differs; succeed only when it changed.
write_if_changed() {
  local tmp="$1.new"
  cat >"$tmp"
  if [ -f "$1" ] && cmp -s "$tmp" "$1"; then rm -f "$tmp"; return 1; fi
  mv "$tmp" "$1"
}

# pod_network CIDR: print "NETWORK GATEWAY" (host bits masked, gateway = first address); fail, silently,
# unless CIDR is an IPv4 network of /29 or larger.
pod_network() {
  python3 - "$1" <<'PY' 2>/dev/null
import ipaddress, sys
net = ipaddress.ip_network(sys.argv[1], strict=False)
if net.version != 4 or net.num_addresses < 8:
    sys.exit(1)
print(net, net.network_address + 1)
PY
}

# other_node_dirs: the DATA_DIR of every other running tskube node on this host, one per line. They are found
# through their containerd's command line (its config path tells the DATA_DIR, whose node.env has the facts).
other_node_dirs() {
  local p other
  for p in /proc/[0-9]*; do
    other=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
    case "$other" in *containerd\ --config\ */containerd/config.toml\ *) ;; *) continue ;; esac
    other=${other#*containerd --config }; other=${other%/containerd/config.toml *}
    [ "$other" != "$DATA_DIR" ] && [ -f "$other/node.env" ] && echo "$other"
  done
  return 0
}

# other_node_clash BRIDGE POD_NET: fail, printing why, when another running tskube node on this host uses
# BRIDGE or a pod network overlapping POD_NET (empty: not checked).
other_node_clash() {
  local bridge=$1 net=$2 other other_bridge other_cidr
  while read -r other; do
    [ -n "$other" ] || continue
    other_bridge=$(awk -F= '$1 == "CNI_BRIDGE" { print $2 }' "$other/node.env")
    other_cidr=$(awk -F= '$1 == "POD_CIDR" { print $2 }' "$other/node.env")
    if [ "$other_bridge" = "$bridge" ]; then echo "bridge $bridge is used by the node in $other: pick another --bridge"; return 1; fi
    if [ -n "$net" ] && [ -n "$other_cidr" ] && python3 -c 'import ipaddress as i, sys; sys.exit(0 if i.ip_network(sys.argv[1]).overlaps(i.ip_network(sys.argv[2])) else 1)' "$net" "$other_cidr" 2>/dev/null; then
      echo "pod CIDR $net overlaps $other_cidr of the node in $other: pick another --pod-cidr (or --cluster-cidr)"; return 1
    fi
  done < <(other_node_dirs)
}

# link_pod_networks NETWORK POD_NET: pods of this node and of every other running tskube node on this host reach
# each other by their own addresses (Kubernetes' "no NAT between pods"; the bridge plugin's ipMasq would hide
# them behind the gateway). nat POSTROUTING RETURN rules, both ways, ahead of the per-pod masquerade jumps the
# bridge plugin appends; tagged like the plugin's own rules (name: "NETWORK"), so cni_cleanup.py removes them
# with this node. Never fails: without them pods still reach each other, only through NAT.
link_pod_networks() {
  local network=$1 net=$2 other other_cidr src dst
  [ -n "$net" ] || return 0
  while read -r other; do
    [ -n "$other" ] || continue
    other_cidr=$(awk -F= '$1 == "POD_CIDR" { print $2 }' "$other/node.env")
    [ -n "$other_cidr" ] || continue
    for src in "$net" "$other_cidr"; do
      dst=$([ "$src" = "$net" ] && echo "$other_cidr" || echo "$net")
      local rule=(-s "$src" -d "$dst" -m comment --comment "name: \"$network\" id: \"tskube-pod-to-pod\"" -j RETURN)
      iptables -w 5 -t nat -C POSTROUTING "${rule[@]}" 2>/dev/null || iptables -w 5 -t nat -I POSTROUTING 1 "${rule[@]}" || true
    done
  done < <(other_node_dirs)
  return 0
}

# write_cni_network NETWORK BRIDGE POD_NET GATEWAY: the node's CNI conflist (bridge with gateway, masquerade
# and hairpin, host-local IPAM, portmap, loopback); earlier networks' files go (containerd loads the first
# file by name). Succeeds only when the file changed. containerd watches the directory: no restart needed.
write_cni_network() {
  local network=$1 bridge=$2 net=$3 gateway=$4 f
  rm -f "$CNI_CONF_DIR"/*.conflist.new
  for f in "$CNI_CONF_DIR"/10-*.conflist; do
    [ -e "$f" ] && [ "$f" != "$CNI_CONF_DIR/10-$network.conflist" ] && rm -f "$f"
  done
  write_if_changed "$CNI_CONF_DIR/10-$network.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "$network",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$bridge",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$CNI_IPAM_DIR",
        "ranges": [[{ "subnet": "$net", "gateway": "$gateway" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } },
    { "type": "loopback" }
  ]
}
EOF
}
