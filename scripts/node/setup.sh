#!/bin/bash
# Make this machine a tskube node: a private containerd (CRI) with CNI and offline-built images under DATA_DIR.
#
# usage: scripts/node/setup.sh DATA_DIR [--pod-cidr CIDR | --no-pod-cidr] [--bridge NAME] [--cgroup-root NAME] [--no-busybox-alias]
#
#   --pod-cidr CIDR     pod addresses handed out on this node (default 10.88.0.0/16)
#   --no-pod-cidr       no CNI network yet: the kubelet writes it (cni-config.sh) once the Node has a podCIDR
#   --bridge NAME       Linux bridge the pods attach to, also the CNI network name (default tskube0)
#   --cgroup-root NAME  top cgroup the kubelet puts pods under, removed by teardown.sh (default kubepods)
#   --no-busybox-alias  do not also tag the busybox image docker.io/library/busybox:latest
#
# Idempotent: packages are installed only when missing, containerd is started only when it is not already
# running for DATA_DIR (restarted when its config changed), images are built and imported only when absent.
# Needs root. Prints one progress line per step; exits non-zero with a "setup: error:" line on failure.
# Undo with scripts/node/teardown.sh DATA_DIR. See scripts/node/README.md for the choices made here.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

die() { echo "setup: error: $*" >&2; exit 1; }
trap 'echo "setup: error: command failed (line $LINENO): $BASH_COMMAND" >&2' ERR
T0=$(now_ms)
step() { echo "setup: [$(( $(now_ms) - T0 )) ms] $*"; }

POD_CIDR=10.88.0.0/16
BRIDGE=tskube0
CGROUP_ROOT=kubepods
BUSYBOX_ALIAS=docker.io/library/busybox:latest
ARG_DATA_DIR=
while [ $# -gt 0 ]; do
  case "$1" in
    --pod-cidr) POD_CIDR=${2:?--pod-cidr needs a value}; shift 2 ;;
    --no-pod-cidr) POD_CIDR=; shift ;;
    --bridge) BRIDGE=${2:?--bridge needs a value}; shift 2 ;;
    --cgroup-root) CGROUP_ROOT=${2:?--cgroup-root needs a value}; shift 2 ;;
    --no-busybox-alias) BUSYBOX_ALIAS=; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) [ -z "$ARG_DATA_DIR" ] || die "only one DATA_DIR may be given"; ARG_DATA_DIR=$1; shift ;;
  esac
done
[ -n "$ARG_DATA_DIR" ] || die "usage: setup.sh DATA_DIR [--pod-cidr CIDR] [--bridge NAME] [--cgroup-root NAME]"
[ "$(id -u)" = 0 ] || die "must run as root (containerd, runc and CNI need it)"
node_layout "$ARG_DATA_DIR" || exit 1
[[ "$BRIDGE" =~ ^[A-Za-z0-9_-]{1,15}$ ]] || die "--bridge must be 1-15 letters, digits, _ or - (a Linux interface name)"
[[ "$CGROUP_ROOT" =~ ^[A-Za-z0-9_.-]+$ ]] || die "--cgroup-root must be a single cgroup name"
# A unix socket path is limited to 107 bytes; containerd adds ".ttrpc" for its second socket.
[ ${#CTRD_SOCKET} -le 100 ] || die "DATA_DIR is too long: $CTRD_SOCKET.ttrpc must fit in a unix socket path (107 bytes)"

# --no-pod-cidr on a node whose kubelet already wrote its podCIDR keeps that one.
[ -n "$POD_CIDR" ] || POD_CIDR=$(node_env_get POD_CIDR)
POD_NET= POD_GATEWAY=
if [ -n "$POD_CIDR" ]; then
  read -r POD_NET POD_GATEWAY < <(pod_network "$POD_CIDR") || die "--pod-cidr $POD_CIDR: an IPv4 network of /29 or larger is needed"
fi
SANDBOX_IMAGE=localhost/pause:3.9
BUSYBOX_IMAGE=localhost/busybox:latest

# ---- 1. packages ---------------------------------------------------------------------------------------
# package name -> what proves it is there (dpkg status is exact; the files catch a half-removed package)
PACKAGES=(containerd runc containernetworking-plugins busybox-static iptables conntrack gcc libc6-dev iproute2 python3)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || die "missing packages (${missing[*]}) and no apt-get to install them"
  step "installing ${missing[*]} (apt-get)"
  apt-get -o DPkg::Lock::Timeout=120 update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
  step "packages installed"
else
  step "packages already installed"
fi
for f in /usr/bin/containerd /usr/sbin/runc /usr/lib/cni/bridge /usr/lib/cni/host-local /usr/lib/cni/portmap \
         /usr/lib/cni/loopback /bin/busybox; do
  [ -x "$f" ] || die "$f is missing although its package is installed"
done
/bin/busybox --list-full >/dev/null 2>&1 || die "/bin/busybox has no applet list (is it busybox-static?)"

# ---- 2. directories, snapshotter, network parameters ---------------------------------------------------
NETWORK=$BRIDGE
if [ -n "$POD_NET" ] && ip -4 -o addr show dev "$BRIDGE" >/dev/null 2>&1; then
  have=$(ip -4 -o addr show dev "$BRIDGE" | awk '{print $4}')
  if [ -n "$have" ] && [ "$have" != "$POD_GATEWAY/${POD_NET#*/}" ]; then
    die "bridge $BRIDGE already exists with address $have, not $POD_GATEWAY/${POD_NET#*/}: another node uses it (pick --bridge) or run teardown.sh"
  fi
fi
# Two nodes on one host must not share a bridge or overlap their pod networks.
clash=$(other_node_clash "$BRIDGE" "$POD_NET") || die "$clash"

mkdir -p "$CTRD_DIR"/{root,state,runc,opt} "$CNI_CONF_DIR" "$CNI_IPAM_DIR" "$IMAGES_DIR"
chmod 0711 "$CTRD_DIR"

SNAPSHOTTER=$(node_env_get SNAPSHOTTER)
if [ -z "$SNAPSHOTTER" ]; then
  # overlayfs cannot sit on some file systems (overlay itself, some network ones): probe once, else copy.
  probe=$CTRD_DIR/overlay-probe
  mkdir -p "$probe"/{lower,upper,work,merged}
  if mount -t overlay overlay -o "lowerdir=$probe/lower,upperdir=$probe/upper,workdir=$probe/work" "$probe/merged" 2>/dev/null; then
    umount "$probe/merged"; SNAPSHOTTER=overlayfs
  else
    SNAPSHOTTER=native
  fi
  rm -rf "$probe"
fi

step "layout ready under $DATA_DIR (snapshotter $SNAPSHOTTER, pods ${POD_NET:-(podCIDR from the Node)} on $BRIDGE)"

# ---- 3. CNI network: bridge + host-local IPAM, portmap for hostPorts, loopback -------------------------
# containerd watches the conf dir, so rewriting this file (a new podCIDR) needs no restart.
if [ -n "$POD_NET" ]; then
  write_cni_network "$NETWORK" "$BRIDGE" "$POD_NET" "$POD_GATEWAY" && step "wrote CNI network $NETWORK" || true
  link_pod_networks "$NETWORK" "$POD_NET"
else
  rm -f "$CNI_CONF_DIR"/10-*.conflist
  step "no CNI network yet: the kubelet writes it once the Node has a podCIDR (cni-config.sh)"
fi

# ---- 4. containerd configuration ----------------------------------------------------------------------
config_changed=no
write_if_changed "$CTRD_CONFIG" <<EOF && config_changed=yes || true
# tskube node runtime, written by scripts/node/setup.sh: everything lives under $CTRD_DIR.
version = 2
root = "$CTRD_DIR/root"
state = "$CTRD_DIR/state"

[grpc]
  address = "$CTRD_SOCKET"

[plugins."io.containerd.internal.v1.opt"]
  path = "$CTRD_DIR/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$SANDBOX_IMAGE"
  # exec/attach/port-forward URLs point here; only this host may reach them
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  # root may lack CAP_SYS_RESOURCE (containers, VMs): without this the sandbox's oom_score_adj -998
  # makes runc fail with "can't get final child's PID from pipe: EOF"
  restrict_oom_score_adj = true
  # network namespaces are bind-mounted under our state dir, not /var/run/netns
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "$SNAPSHOTTER"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$CTRD_DIR/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$CNI_CONF_DIR"
    max_conf_num = 1
EOF

# ---- 5. node.env: what teardown.sh and the kubelet need to know ----------------------------------------
IP_FORWARD_BEFORE=$(node_env_get IP_FORWARD_BEFORE)
[ -n "$IP_FORWARD_BEFORE" ] || IP_FORWARD_BEFORE=$(cat /proc/sys/net/ipv4/ip_forward)
write_if_changed "$NODE_ENV" <<EOF || true
# tskube node facts, written by scripts/node/setup.sh; read by teardown.sh and the kubelet.
DATA_DIR=$DATA_DIR
CONTAINERD_SOCKET=$CTRD_SOCKET
CONTAINERD_PID_FILE=$CTRD_PID_FILE
CNI_NETWORK=$NETWORK
CNI_BRIDGE=$BRIDGE
CNI_CONF_DIR=$CNI_CONF_DIR
POD_CIDR=$POD_NET
POD_GATEWAY=$POD_GATEWAY
CGROUP_ROOT=$CGROUP_ROOT
SNAPSHOTTER=$SNAPSHOTTER
SANDBOX_IMAGE=$SANDBOX_IMAGE
BUSYBOX_IMAGE=$BUSYBOX_IMAGE
BUSYBOX_ALIAS=$BUSYBOX_ALIAS
IP_FORWARD_BEFORE=$IP_FORWARD_BEFORE
EOF

# ---- 6. containerd ------------------------------------------------------------------------------------
stop_containerd() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do [ -d "/proc/$pid" ] || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}
if pid=$(containerd_pid) && [ "$config_changed" = yes ]; then
  step "containerd config changed: restarting containerd (pid $pid); running pods survive a restart"
  stop_containerd "$pid"
fi
if pid=$(containerd_pid); then
  step "containerd already running (pid $pid)"
else
  rm -f "$CTRD_SOCKET" "$CTRD_SOCKET.ttrpc"
  # setsid: a Ctrl-C aimed at whoever ran set-up must not reach the node's runtime
  setsid containerd --config "$CTRD_CONFIG" </dev/null >>"$CTRD_LOG" 2>&1 &
  pid=$!
  echo "$pid" >"$CTRD_PID_FILE"
  step "started containerd (pid $pid, log $CTRD_LOG)"
fi
ready=no
for _ in $(seq 1 200); do   # at most ~10 s
  [ -d "/proc/$pid" ] || { tail -n 20 "$CTRD_LOG" >&2; die "containerd exited during start-up (log above: $CTRD_LOG)"; }
  if [ -S "$CTRD_SOCKET" ] && CTR_TIMEOUT=2 ctrd version >/dev/null 2>&1; then ready=yes; break; fi
  sleep 0.05
done
[ "$ready" = yes ] || { tail -n 20 "$CTRD_LOG" >&2; die "containerd socket $CTRD_SOCKET did not answer within 10 s"; }
cri=$(ctrd plugins ls 2>/dev/null | awk '$1 == "io.containerd.grpc.v1" && $2 == "cri" { print $NF }')
[ "$cri" = ok ] || { tail -n 20 "$CTRD_LOG" >&2; die "containerd's CRI plugin is not running (status '${cri:-absent}')"; }
step "containerd answers on $CTRD_SOCKET (CRI plugin ok)"

# ---- 7. images, built offline -------------------------------------------------------------------------
wanted=("$SANDBOX_IMAGE" "$BUSYBOX_IMAGE")
[ -z "$BUSYBOX_ALIAS" ] || wanted+=("$BUSYBOX_ALIAS")
have=$(ctrd images ls -q 2>/dev/null) || die "cannot list containerd images"
absent=()
for ref in "${wanted[@]}"; do grep -qxF "$ref" <<<"$have" || absent+=("$ref"); done
if [ ${#absent[@]} -eq 0 ]; then
  step "images already imported (${wanted[*]})"
else
  t=$(now_ms)
  if [ ! -x "$IMAGES_DIR/pause" ] || [ "$HERE/pause.c" -nt "$IMAGES_DIR/pause" ]; then
    gcc -static -O2 -s -o "$IMAGES_DIR/pause.new" "$HERE/pause.c" || die "cannot compile pause.c statically (gcc, libc6-dev)"
    mv "$IMAGES_DIR/pause.new" "$IMAGES_DIR/pause"
  fi
  python3 "$HERE/mkimage.py" pause --binary "$IMAGES_DIR/pause" --ref "$SANDBOX_IMAGE" --out "$IMAGES_DIR/pause.tar" >/dev/null
  python3 "$HERE/mkimage.py" busybox --binary /bin/busybox --ref "$BUSYBOX_IMAGE" --out "$IMAGES_DIR/busybox.tar" >/dev/null
  step "built images in $(( $(now_ms) - t )) ms"
  t=$(now_ms)
  for tarball in pause busybox; do
    out=$(ctrd images import --snapshotter "$SNAPSHOTTER" "$IMAGES_DIR/$tarball.tar" 2>&1) \
      || die "importing $tarball.tar failed: $out"
  done
  if [ -n "$BUSYBOX_ALIAS" ]; then
    out=$(ctrd images tag --force "$BUSYBOX_IMAGE" "$BUSYBOX_ALIAS" 2>&1) || die "tagging $BUSYBOX_ALIAS failed: $out"
  fi
  have=$(ctrd images ls -q)
  for ref in "${wanted[@]}"; do grep -qxF "$ref" <<<"$have" || die "image $ref missing after import"; done
  step "imported ${wanted[*]} in $(( $(now_ms) - t )) ms"
fi

step "node runtime ready: CRI endpoint unix://$CTRD_SOCKET (facts in $NODE_ENV)"
