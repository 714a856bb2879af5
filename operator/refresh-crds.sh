#!/usr/bin/env bash
# Regenerates the CRDs from the operator's Java API and copies each into both committed places:
# crds/ (kubectl apply) and helm/dirk-operator/crds/ (the chart). CommittedCrdTest and ChartTest fail
# when either copy is stale, so run this after changing anything under operator/.../api/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/mvnw" -q -B -f "$root/pom.xml" -pl operator -am package -DskipTests
shopt -s nullglob
generated=("$root"/operator/target/kubernetes/*.dirkdb.io-v1.yml)
if [ ${#generated[@]} -eq 0 ]; then
  echo "refresh-crds: the build generated no CRD under operator/target/kubernetes" >&2
  exit 1
fi
for crd in "${generated[@]}"; do
  cp "$crd" "$root/crds/"
  cp "$crd" "$root/helm/dirk-operator/crds/"
  echo "refresh-crds: $(basename "$crd") -> crds/ and helm/dirk-operator/crds/"
done
