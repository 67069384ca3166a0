#!/bin/bash
# Fetch upstream k8s.io/cri-api runtime/v1 api.proto (only to cross-check our own kubelet/cri/api.proto).
#
# usage: scripts/node/get-cri-proto.sh [OUT_DIR]      (default: <repo>/.cache/cri, ignored by git)
#
# No registry ships the file and GitHub is out of reach, but Debian's containerd source package vendors
# exactly the cri-api version that Debian's containerd speaks (v0.25.0 for containerd 1.6.20). We read it
# through apt with a throw-away deb-src list, so the machine's apt configuration stays untouched.
# Nothing here runs during set-up or tests: kubelet/cri/api.proto (ours) is what the client loads.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$REPO/.cache/cri}
if [ -s "$OUT/api.proto" ]; then echo "get-cri-proto: $OUT/api.proto already present"; exit 0; fi
command -v apt-get >/dev/null || { echo "get-cri-proto: apt-get is required" >&2; exit 1; }

WORK=$(mktemp -d /tmp/tskube-cri-proto.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/sources.d" "$WORK/lists/partial" "$OUT"
CODENAME=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
cat > "$WORK/sources.d/tskube-src.sources" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $CODENAME
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
APT=(apt-get -qq -o "APT::Sandbox::User=root" -o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$WORK/sources.d"
     -o "Dir::State::Lists=$WORK/lists" -o "Dir::Cache=$WORK/cache")
echo "get-cri-proto: reading the containerd source index ($CODENAME)"
"${APT[@]}" update
echo "get-cri-proto: downloading the containerd source package"
(cd "$WORK" && "${APT[@]}" source --download-only containerd)
ORIG=$(ls "$WORK"/containerd_*.orig.tar.* | head -n1)
tar -xf "$ORIG" -C "$WORK" --wildcards '*/vendor/k8s.io/cri-api/pkg/apis/runtime/v1/api.proto' '*/vendor/k8s.io/cri-api/LICENSE'
SRCPROTO=$(ls "$WORK"/*/vendor/k8s.io/cri-api/pkg/apis/runtime/v1/api.proto | head -n1)
# The gogoproto import and options only steer Go code generation; protobufjs cannot resolve them alone.
grep -v 'gogo' "$SRCPROTO" > "$OUT/api.proto"
cp "$(dirname "$SRCPROTO")/../../../../LICENSE" "$OUT/LICENSE"
echo "get-cri-proto: wrote $OUT/api.proto (from $(basename "$ORIG"))"
