#!/usr/bin/env bash
# Builds dirkdb/dirk:<version> and dirkdb/dirk-operator:<version> into the local podman storage, onto the
# Debian test base of .ci/build-test-base-image.sh, for ContainerImagesTest. One platform, the host's
# (or the one given); the production build (-Pimages alone) keeps eclipse-temurin:17-jre and both
# platforms. Needs podman, runc and debootstrap (apt-get install -y podman runc debootstrap).
#
#   .ci/build-test-images.sh [amd64|arm64]
#
# For another architecture than the host's (arm64 on amd64) the images are tagged <version>-<arch>, so
# the host's test images stay; they run only where qemu-user-static's binfmt handlers are registered.
set -euo pipefail
cd "$(dirname "$0")/.."

arch=${1:-$(dpkg --print-architecture)}
version=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' helm/dirk-operator/Chart.yaml)
tag=$version
[ "$arch" = "$(dpkg --print-architecture)" ] || tag=$version-$arch
start=$(date +%s)
base=$(.ci/build-test-base-image.sh "$arch" | tail -1)
based=$(date +%s)

# Jib takes the base from the tarball; the DirkDB image is written as a tarball and loaded, the
# operator's (Quarkus) is handed to `podman load` by Jib itself (podman as its docker executable).
./mvnw -B -ntp -q -pl dirk-server-image,operator -am package -Pimages -DskipTests \
  -Djib.goal=buildTar -Djib.from.image="tar://$base" -Djib.from.platforms="linux/$arch" \
  -Djib.to.image="dirkdb/dirk:$tag" -Djib.outputPaths.tar="$PWD/.tools/images/dirk-$arch.tar" \
  -Dquarkus.jib.base-jvm-image="tar://$base" -Dquarkus.jib.platforms="linux/$arch" \
  -Dquarkus.container-image.tag="$tag" \
  -Dquarkus.jib.docker-executable-name=podman
podman load -q -i ".tools/images/dirk-$arch.tar"
end=$(date +%s)
echo "test images built for $arch in $((end - start)) s (base $((based - start)) s, Maven and Jib $((end - based)) s):"
podman images --filter reference='dirkdb/*' --format '  {{.Repository}}:{{.Tag}} {{.Size}}'
