#!/bin/sh
# Make the local base image the Containerfile builds on, from Debian's own archive (no
# image registry needed): a minimal Debian 12 tree by debootstrap, imported as an image.
#   deploy/container/make-base.sh [RUNTIME] [TAG] [MIRROR]
# RUNTIME: podman (default) or docker; TAG: localhost/pahna-base:bookworm.
set -eu
runtime="${1:-podman}"
tag="${2:-localhost/pahna-base:bookworm}"
mirror="${3:-http://deb.debian.org/debian}"
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase bookworm "$root" "$mirror" >/dev/null
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | "$runtime" import - "$tag" >/dev/null
echo "$tag"
