#!/usr/bin/env bash
# The kind path, for machines with a Docker engine: create a kind cluster with the topology labels,
# build this project's images, load them into the nodes, and run the same e2e suites as on the
# proving ground (the operator suite installs charts/mdb-operator itself, with MDB_IMAGE_TAG).
#   e2e/kind/run.sh            create (or reuse) the cluster, build, load, install, test
#   e2e/kind/run.sh --delete   delete the kind cluster
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cluster=mdbcluster
tag="${MDB_IMAGE_TAG:-dev}"
export MDB_IMAGE_TAG="$tag"

need() { command -v "$1" >/dev/null || { echo "error: '$1' is not installed: $2" >&2; exit 1; }; }
need docker "install Docker (the kind path needs a running Docker engine)"
need kind "install kind (go install sigs.k8s.io/kind@latest)"
need kubectl "install kubectl, or use the proving ground's: export PATH=~/.cache/mdbcluster/k8s-v1.36.3/bin:\$PATH"
docker info >/dev/null 2>&1 || { echo "error: the Docker client cannot reach an engine; start Docker first" >&2; exit 1; }

if [ "${1:-}" = "--delete" ]; then kind delete cluster --name "$cluster"; exit 0; fi

if ! kind get clusters | grep -qx "$cluster"; then
  kind create cluster --config "$root/e2e/kind/kind-config.yaml" --wait 120s
fi
export KUBECONFIG="${KUBECONFIG_KIND:-$HOME/.kube/kind-$cluster}"
kind get kubeconfig --name "$cluster" > "$KUBECONFIG"
# kind names hosts itself; the hostname label is set by the kubelet, the rest by kind-config.yaml.

# The project's images come from the one list the proving ground builds too (e2e/local/image-builds.yaml):
# every mdbcluster/* entry whose Dockerfile exists (kind brings its own pause and CoreDNS).
mapfile -t images < <(cd "$root" && node --import tsx -e '
  const { loadCatalog } = await import("./e2e/local/imagebuild/main.ts");
  const { existsSync } = await import("node:fs");
  for (const image of loadCatalog().images) for (const name of image.names) {
    const short = name.replace(/^docker\.io\//, "");
    if (short.startsWith("mdbcluster/") && existsSync(image.dockerfile)) console.log(`${short.replace(/:dev$/, ":" + process.argv[1])}=${image.dockerfile}`);
  }' "$tag")
for spec in "${images[@]}"; do
  image="${spec%%=*}"; dockerfile="${spec#*=}"
  echo "building $image from $dockerfile"
  docker build -t "$image" -f "$root/$dockerfile" "$root"
  kind load docker-image "$image" --name "$cluster"
done

cd "$root"
KUBECONFIG="$KUBECONFIG" MDB_E2E_PLATFORM=kind npm run test:e2e
