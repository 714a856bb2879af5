#!/usr/bin/env bash
# Builds the JRE base image the container tests build the DirkDB and operator images onto, from Debian
# packages (no registry needed): debootstrap --variant=minbase of the host's Debian release plus
# openjdk-17-jre-headless, trimmed, imported into podman as localhost/dirk-test-base:<arch> and saved as
# a docker-archive tarball that Jib takes as a base (-Djib.from.image=tar://...).
# Production images keep their public base (eclipse-temurin:17-jre); this one is for tests only.
#
#   .ci/build-test-base-image.sh [amd64|arm64]     prints the tarball's path on its last line
#
# Cached in $DIRK_IMAGE_CACHE (default ~/.cache/dirk/images, shared by the checkouts of this machine, as
# ~/.m2 is): a second run with the same script and architecture, from any checkout, reuses the tarball
# (and re-imports it into podman only if podman lost it). The tarball and its key are replaced by renames,
# the key last, so a run beside another never takes a half-written tarball.
# An architecture other than the host's is unpacked with debootstrap --foreign (packages are not
# configured, which a JRE does not need); running it needs qemu-user-static's binfmt handlers.
set -euo pipefail
cd "$(dirname "$0")/.."

arch=${1:-$(dpkg --print-architecture)}
case "$arch" in amd64 | arm64) ;; *) echo "unsupported architecture $arch (amd64 or arm64)" >&2; exit 2 ;; esac
host_arch=$(dpkg --print-architecture)
# shellcheck disable=SC1091
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}")
# The mirror apt already uses here (deb822 or one-line sources), else Debian's own.
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1 || true)
if [ -z "$mirror" ]; then
  mirror=$(awk '$1 == "deb" && $3 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}

cache=${DIRK_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dirk/images}
mkdir -p "$cache"
image=localhost/dirk-test-base:$arch
tarball=$cache/dirk-test-base-$arch.tar
# The cache key: this script (what is installed and trimmed), the release and the architecture.
key=$(cat "$0" <(echo "$suite $arch") | sha256sum | cut -c1-16)

for tool in podman debootstrap; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install -y podman runc debootstrap" >&2; exit 3; }
done

if [ -f "$tarball" ] && [ "$(cat "$tarball.key" 2>/dev/null)" = "$key" ]; then
  echo "base image $image: cached ($tarball)" >&2
  if ! podman image exists "$image"; then
    podman load -q -i "$tarball" >&2
  fi
  echo "$tarball"
  exit 0
fi

start=$(date +%s)
rootfs=$(mktemp -d "$cache/rootfs-$arch.XXXXXX")
# debootstrap mounts /proc (and more) inside the tree it builds: unmount before removing or packing it.
cleanup() {
  grep -o " $rootfs/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf --one-file-system "$rootfs"
}
trap cleanup EXIT
foreign=()
[ "$arch" = "$host_arch" ] || foreign=(--foreign)
echo "base image $image: debootstrap $suite ($arch) from $mirror ..." >&2
debootstrap --variant=minbase --arch="$arch" "${foreign[@]}" --include=openjdk-17-jre-headless \
  "$suite" "$rootfs" "$mirror" >"$cache/debootstrap-$arch.log" 2>&1 \
  || { tail -20 "$cache/debootstrap-$arch.log" >&2; exit 1; }
fetched=$(date +%s)
if [ ${#foreign[@]} -gt 0 ]; then
  # --foreign unpacks only the base system; the JRE's packages wait for a second stage that would run
  # under emulation. Unpacking them is enough for a JRE (no maintainer scripts: java is reached by
  # /opt/java/openjdk below, not by the alternatives system).
  for deb in "$rootfs"/var/cache/apt/archives/*.deb; do dpkg-deb -x "$deb" "$rootfs"; done
fi

jre=/usr/lib/jvm/java-17-openjdk-$arch
[ -x "$rootfs$jre/bin/java" ] || { echo "no $jre/bin/java in the unpacked system" >&2; exit 1; }
# Trim what a JRE container never reads: documentation, manuals, translations, apt's caches and lists,
# and (foreign) the .deb files debootstrap unpacked from.
rm -rf "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
  "$rootfs"/usr/share/locale/* "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* \
  "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/* "$rootfs"/debootstrap/*.deb
# The Temurin base has its JRE at /opt/java/openjdk and `java` on PATH; give this one the same layout,
# so an entry point written for either runs on both.
mkdir -p "$rootfs/opt/java"
ln -sfn "$jre" "$rootfs/opt/java/openjdk"

echo "base image $image: importing ..." >&2
grep -o " $rootfs/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
tar -C "$rootfs" --one-file-system -c . | podman import -q --arch "$arch" --os linux \
  --change "ENV PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV JAVA_HOME=/opt/java/openjdk" \
  --change "ENV LANG=C.UTF-8" \
  --change "LABEL io.dirkdb.test-base=$key" \
  - "$image" >&2
rm -f "$tarball.key"
podman save -q --format docker-archive -o "$tarball.$$" "$image"
mv -f "$tarball.$$" "$tarball"
echo "$key" >"$tarball.key.$$"
mv -f "$tarball.key.$$" "$tarball.key"
end=$(date +%s)
echo "base image $image: built in $((end - start)) s (debootstrap $((fetched - start)) s), $(du -h "$tarball" | cut -f1) tarball" >&2
echo "$tarball"
