#!/bin/bash
# Stop a tskube node set up by setup.sh and undo what it did to the host.
#
# usage: scripts/node/teardown.sh DATA_DIR [--purge]
#
# Kills every container and sandbox, stops containerd (SIGTERM, then SIGKILL), and removes what the node
# left on the host: shims and their sockets, mounts under DATA_DIR, the CNI bridge, the CNI iptables rules
# and chains of our network, CNI result caches, our pod cgroups, and ip_forward if set-up turned it on.
# Images stay in DATA_DIR/containerd/root so the next setup.sh is quick; --purge removes everything
# setup.sh wrote under DATA_DIR (DATA_DIR itself stays).
# Safe to run twice or on a half-set-up node; every wait is bounded; exits 0 unless used wrongly.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

T0=$(now_ms)
say() { echo "teardown: [$(( $(now_ms) - T0 )) ms] $*"; }
PURGE=no
ARG_DATA_DIR=
for a in "$@"; do
  case "$a" in
    --purge) PURGE=yes ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) echo "teardown: unknown option $a" >&2; exit 2 ;;
    *) ARG_DATA_DIR=$a ;;
  esac
done
[ -n "$ARG_DATA_DIR" ] || { echo "usage: teardown.sh DATA_DIR [--purge]" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "teardown: must run as root" >&2; exit 2; }
node_layout "$ARG_DATA_DIR" || exit 2
if [ ! -d "$DATA_DIR" ]; then say "nothing to do: $DATA_DIR does not exist"; exit 0; fi

NETWORK=$(node_env_get CNI_NETWORK)
BRIDGE=$(node_env_get CNI_BRIDGE)
CGROUP_ROOT=$(node_env_get CGROUP_ROOT)
IP_FORWARD_BEFORE=$(node_env_get IP_FORWARD_BEFORE)
CTR_TIMEOUT=10

# ---- 1. every container id this containerd knows (from the API while it runs, from disk otherwise) ----
TASK_STATE=$CTRD_DIR/state/io.containerd.runtime.v2.task/$CTRD_NAMESPACE
declare -A IDS=()
pid=$(containerd_pid) || pid=
if [ -n "$pid" ] && [ -S "$CTRD_SOCKET" ]; then
  for id in $(ctrd containers ls -q 2>/dev/null); do IDS[$id]=1; done
fi
if [ -d "$TASK_STATE" ]; then
  for d in "$TASK_STATE"/*/; do [ -d "$d" ] && IDS[$(basename "$d")]=1; done
fi
# shims started by our containerd name it in their arguments: -address <our socket> ... -id <id>
declare -A SHIMS=()
for p in /proc/[0-9]*; do
  cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
  case "$cmd" in *containerd-shim*"-address $CTRD_SOCKET "*) ;; *) continue ;; esac
  SHIMS[${p#/proc/}]=1
  id=$(sed -n 's/.* -id \([^ ]*\) .*/\1/p' <<<"$cmd ")
  [ -n "$id" ] && IDS[$id]=1
done

# ---- 2. kill every task through containerd, then drop the containers (and their snapshots) -----------
if [ -n "$pid" ] && [ ${#IDS[@]} -gt 0 ]; then
  for id in "${!IDS[@]}"; do ctrd tasks kill --signal SIGKILL "$id" >/dev/null 2>&1; done
  for _ in $(seq 1 50); do   # at most ~5 s for the kills to land
    running=$(ctrd tasks ls 2>/dev/null | awk 'NR > 1 && $3 != "STOPPED"' | wc -l)
    [ "$running" = 0 ] && break
    sleep 0.1
  done
  for id in "${!IDS[@]}"; do ctrd tasks delete --force "$id" >/dev/null 2>&1; done
  for id in "${!IDS[@]}"; do ctrd containers delete "$id" >/dev/null 2>&1; done
  say "killed and removed ${#IDS[@]} containers and sandboxes"
fi

# ---- 3. containerd itself ------------------------------------------------------------------------------
if [ -n "$pid" ]; then
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 100); do [ -d "/proc/$pid" ] || break; sleep 0.05; done
  if [ -d "/proc/$pid" ]; then
    kill -KILL "$pid" 2>/dev/null
    for _ in $(seq 1 40); do [ -d "/proc/$pid" ] || break; sleep 0.05; done
    say "containerd (pid $pid) needed SIGKILL"
  else
    say "containerd (pid $pid) stopped"
  fi
fi
rm -f "$CTRD_PID_FILE"

# ---- 4. leftover shims and container processes --------------------------------------------------------
for p in "${!SHIMS[@]}"; do kill -KILL "$p" 2>/dev/null; done
# our cgroups: the pod tree under CGROUP_ROOT, and containerd's default k8s.io/<id> for our ids
CGROUPS=()
for base in /sys/fs/cgroup /sys/fs/cgroup/*; do
  [ -n "$CGROUP_ROOT" ] && [ -d "$base/$CGROUP_ROOT" ] && CGROUPS+=("$base/$CGROUP_ROOT")
  for id in "${!IDS[@]}"; do [ -d "$base/k8s.io/$id" ] && CGROUPS+=("$base/k8s.io/$id"); done
done
killed=0
for _ in 1 2 3; do
  procs=$(for c in "${CGROUPS[@]}"; do find "$c" -name cgroup.procs -exec cat {} + 2>/dev/null; done | sort -u)
  [ -z "$procs" ] && break
  for p in $procs; do kill -KILL "$p" 2>/dev/null && killed=$((killed + 1)); done
  sleep 0.2
done
[ "$killed" = 0 ] || say "killed $killed processes left in our cgroups"

# ---- 5. mounts under DATA_DIR (rootfs overlays, /dev/shm, network namespaces), deepest first ----------
for _ in 1 2 3; do
  mounts=$(awk -v d="$DATA_DIR/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r -u)
  [ -z "$mounts" ] && break
  while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
  done <<<"$mounts"
done
left=$(awk -v d="$DATA_DIR/" 'index($2, d) == 1' /proc/self/mounts | wc -l)
[ "$left" = 0 ] || say "warning: $left mounts under $DATA_DIR could not be removed"

# ---- 6. network: iptables rules and chains of our CNI network, the bridge, result caches, forwarding --
if [ -n "$NETWORK" ]; then
  command -v iptables >/dev/null && timeout -k 2 30 python3 "$HERE/cni_cleanup.py" "$NETWORK"
  rm -f /var/lib/cni/results/"$NETWORK"-* 2>/dev/null
fi
for id in "${!IDS[@]}"; do rm -f "/var/lib/cni/results/cni-loopback-$id-lo"; done
if [ -d /var/lib/cni ]; then
  rmdir /var/lib/cni/results /var/lib/cni 2>/dev/null
fi
if [ -n "$BRIDGE" ] && ip link show "$BRIDGE" type bridge >/dev/null 2>&1; then
  ip link delete "$BRIDGE" type bridge 2>/dev/null && say "deleted bridge $BRIDGE"
fi
if [ "$IP_FORWARD_BEFORE" = 0 ] && [ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ]; then
  # another runtime on this host (a second node, docker) may rely on forwarding: leave it on then
  if ! pgrep -x 'containerd|dockerd' >/dev/null 2>&1; then
    echo 0 >/proc/sys/net/ipv4/ip_forward && say "restored net.ipv4.ip_forward=0"
  fi
fi

# ---- 7. cgroups, deepest first (rmdir removes only empty ones: nothing alive is touched) --------------
for c in "${CGROUPS[@]}"; do find "$c" -depth -type d -exec rmdir {} + 2>/dev/null; done
for base in /sys/fs/cgroup /sys/fs/cgroup/*; do rmdir "$base/k8s.io" 2>/dev/null; done
left=0
for c in "${CGROUPS[@]}"; do [ -d "$c" ] && left=$((left + 1)); done
[ "$left" = 0 ] || say "warning: $left cgroups could not be removed"

# ---- 8. shim sockets: containerd names them /run/containerd/s/sha256(<socket>/<namespace>/<id>) --------
for id in "${!IDS[@]}"; do
  sum=$(printf '%s' "$CTRD_SOCKET/$CTRD_NAMESPACE/$id" | sha256sum | cut -d' ' -f1)
  rm -f "/run/containerd/s/$sum"
done
rmdir /run/containerd/s /run/containerd 2>/dev/null

# ---- 9. files ----------------------------------------------------------------------------------------
rm -rf "$CTRD_DIR/state" "$CTRD_DIR/runc" "$CTRD_SOCKET" "$CTRD_SOCKET.ttrpc" "$CNI_IPAM_DIR"
if [ "$PURGE" = yes ]; then
  rm -rf "$CTRD_DIR" "$DATA_DIR/cni" "$IMAGES_DIR" "$NODE_ENV"
  say "purged $DATA_DIR"
fi
say "done"
exit 0
