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
