#!/usr/bin/env python3
"""Build tskube's node images offline as OCI image-layout tarballs (Python 3 standard library only).

usage:
  mkimage.py pause   --binary PATH          --ref localhost/pause:3.9      --out pause.tar
  mkimage.py busybox --binary /bin/busybox  --ref localhost/busybox:latest --out busybox.tar

Each image is one uncompressed layer. Every tar entry has mtime 0, uid/gid 0 and a sorted position, so
the same inputs always give the same digests: set-up can compare digests instead of rebuilding blindly.
`ctr images import` reads the result; it needs the io.containerd.image.name annotation in index.json,
without which it imports nothing.
"""
import argparse
import hashlib
import io
import json
import os
import platform
import subprocess
import sys
import tarfile

PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
EPOCH = '1970-01-01T00:00:00Z'


class Layer:
    """A file-system tree kept in memory, written as a deterministic tar."""

    def __init__(self):
        self.entries = {}  # relative path -> (TarInfo, bytes or None)

    def _info(self, path, kind, mode):
        info = tarfile.TarInfo(path)
        info.type, info.mode, info.mtime = kind, mode, 0
        info.uid = info.gid = 0
        info.uname = info.gname = ''
        return info

    def _parents(self, path):
        parts = path.split('/')[:-1]
        for i in range(1, len(parts) + 1):
            parent = '/'.join(parts[:i])
            if parent not in self.entries:
                self.entries[parent] = (self._info(parent, tarfile.DIRTYPE, 0o755), None)

    def directory(self, path, mode=0o755):
        path = path.strip('/')
        self._parents(path)
        self.entries[path] = (self._info(path, tarfile.DIRTYPE, mode), None)

    def file(self, path, data, mode=0o644):
        path = path.strip('/')
        self._parents(path)
        info = self._info(path, tarfile.REGTYPE, mode)
        info.size = len(data)
        self.entries[path] = (info, data)

    def symlink(self, path, target):
        path = path.strip('/')
        self._parents(path)
        info = self._info(path, tarfile.SYMTYPE, 0o777)
        info.linkname = target
        self.entries[path] = (info, None)

    def tar(self):
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode='w', format=tarfile.PAX_FORMAT) as tf:
            for path in sorted(self.entries):
                info, data = self.entries[path]
                tf.addfile(info, io.BytesIO(data) if data is not None else None)
        return out.getvalue()


def digest(data):
    return 'sha256:' + hashlib.sha256(data).hexdigest()


def canonical_json(value):
    return json.dumps(value, separators=(',', ':'), sort_keys=True).encode()


def oci_arch():
    machine = platform.machine().lower()
    return {'x86_64': 'amd64', 'aarch64': 'arm64', 'armv7l': 'arm', 'ppc64le': 'ppc64le',
            's390x': 's390x', 'riscv64': 'riscv64'}.get(machine, machine)


def write_oci_layout(out_path, ref, layer_tar, runtime_config):
    """Write an OCI image layout holding one image (one layer) tagged `ref`; return the manifest digest."""
    layer_digest = digest(layer_tar)  # uncompressed, so the digest is also the diff_id
    config = canonical_json({
        'created': EPOCH, 'architecture': oci_arch(), 'os': 'linux',
        'config': runtime_config,
        'rootfs': {'type': 'layers', 'diff_ids': [layer_digest]},
        'history': [{'created': EPOCH, 'created_by': 'tskube scripts/node/mkimage.py'}],
    })
    manifest = canonical_json({
        'schemaVersion': 2,
        'mediaType': 'application/vnd.oci.image.manifest.v1+json',
        'config': {'mediaType': 'application/vnd.oci.image.config.v1+json',
                   'digest': digest(config), 'size': len(config)},
        'layers': [{'mediaType': 'application/vnd.oci.image.layer.v1.tar',
                    'digest': layer_digest, 'size': len(layer_tar)}],
    })
    tag = ref.rsplit(':', 1)[1] if ':' in ref.rsplit('/', 1)[-1] else 'latest'
    index = canonical_json({
        'schemaVersion': 2,
        'mediaType': 'application/vnd.oci.image.index.v1+json',
        'manifests': [{
            'mediaType': 'application/vnd.oci.image.manifest.v1+json',
            'digest': digest(manifest), 'size': len(manifest),
            'platform': {'architecture': oci_arch(), 'os': 'linux'},
            'annotations': {'io.containerd.image.name': ref, 'org.opencontainers.image.ref.name': tag},
        }],
    })
    outer = Layer()
    outer.file('oci-layout', canonical_json({'imageLayoutVersion': '1.0.0'}))
    for blob in (layer_tar, config, manifest):
        outer.file('blobs/sha256/' + digest(blob)[len('sha256:'):], blob)
    outer.file('index.json', index)
    tmp = out_path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(outer.tar())
    os.replace(tmp, out_path)  # never leave a half-written tarball where set-up looks for a finished one
    return digest(manifest)


def pause_image(binary):
    layer = Layer()
    with open(binary, 'rb') as f:
        layer.file('/pause', f.read(), 0o755)
    config = {'Entrypoint': ['/pause'], 'User': '65535:65535', 'WorkingDir': '/', 'Env': [PATH_ENV]}
    return layer, config


def busybox_image(binary):
    layer = Layer()
    with open(binary, 'rb') as f:
        layer.file('/bin/busybox', f.read(), 0o755)
    listed = subprocess.run([binary, '--list-full'], capture_output=True, text=True, check=True).stdout.split()
    for applet in listed:
        if applet.strip('/') != 'bin/busybox':
            layer.symlink('/' + applet.strip('/'), '/bin/busybox')
    for path, mode in (('/tmp', 0o1777), ('/root', 0o700), ('/home', 0o755), ('/proc', 0o555),
                       ('/sys', 0o555), ('/dev', 0o755), ('/var/www', 0o755), ('/var/log', 0o755)):
        layer.directory(path, mode)
    layer.file('/etc/passwd', b'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n')
    layer.file('/etc/group', b'root:x:0:\nnogroup:x:65534:\n')
    layer.file('/var/www/index.html', b'hello from tskube busybox\n')
    config = {'Cmd': ['sh'], 'WorkingDir': '/', 'Env': [PATH_ENV]}
    return layer, config


def main():
    parser = argparse.ArgumentParser(description='build an offline OCI image tarball for a tskube node')
    parser.add_argument('kind', choices=['pause', 'busybox'])
    parser.add_argument('--binary', required=True, help='static executable to put in the image')
    parser.add_argument('--ref', required=True, help='image name written into index.json')
    parser.add_argument('--out', required=True, help='tarball to write')
    args = parser.parse_args()
    layer, config = (pause_image if args.kind == 'pause' else busybox_image)(args.binary)
    manifest = write_oci_layout(args.out, args.ref, layer.tar(), config)
    print(f'mkimage: {args.ref} -> {args.out} (manifest {manifest})')


if __name__ == '__main__':
    try:
        main()
    except (OSError, subprocess.CalledProcessError) as e:
        print(f'mkimage: {e}', file=sys.stderr)
        sys.exit(1)
