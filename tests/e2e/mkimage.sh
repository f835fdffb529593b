#!/bin/sh
# mkimage.sh ROOTFS OUT.tar NAME: packs ROOTFS into one image archive that
# containerd (ctr images import, an OCI layout), podman load and docker load
# (a docker-save manifest.json beside it) all read. No registry involved.
set -eu
rootfs=$1 out=$2 name=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
blobs=$work/blobs/sha256
mkdir -p "$blobs"
# blob FILE: moves FILE into blobs/ under its digest, prints the digest.
blob() {
	d=$(sha256sum "$1" | cut -d' ' -f1)
	mv "$1" "$blobs/$d"
	echo "$d"
}
size() { stat -c %s "$blobs/$1"; }
tar --numeric-owner -C "$rootfs" -cf "$work/layer" .
layer=$(blob "$work/layer")
jq -n --arg l "sha256:$layer" '{
	architecture: "amd64", os: "linux",
	config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"], WorkingDir: "/"},
	rootfs: {type: "layers", diff_ids: [$l]}}' > "$work/config"
config=$(blob "$work/config")
jq -n --arg c "sha256:$config" --argjson cs "$(size "$config")" --arg l "sha256:$layer" --argjson ls "$(size "$layer")" '{
	schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
	config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
	layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $l, size: $ls}]}' > "$work/manifest"
manifest=$(blob "$work/manifest")
jq -n --arg m "sha256:$manifest" --argjson ms "$(size "$manifest")" --arg n "$name" '{
	schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
	manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $m, size: $ms,
		annotations: {"io.containerd.image.name": $n, "org.opencontainers.image.ref.name": $n}}]}' > "$work/index.json"
echo '{"imageLayoutVersion": "1.0.0"}' > "$work/oci-layout"
short=${name#docker.io/library/}
jq -n --arg c "blobs/sha256/$config" --arg l "blobs/sha256/$layer" --arg t "$short" \
	'[{Config: $c, RepoTags: [$t], Layers: [$l]}]' > "$work/manifest.json"
tar -C "$work" -cf "$out" oci-layout index.json manifest.json blobs
