#!/usr/bin/env bash
# Builds the image of every service in services/services.ts and pushes them under the registry and tag a stack deploys, so
# what `pulumi up` references (imageRegistry/<service>:imageTag, infra/apps) is what was built.
#
#   services/build-images.sh [--push] [--dry-run] [--platform linux/amd64] <stack> [service ...]
#
#   <stack>      reads llmops:imageRegistry and llmops:imageTag from Pulumi.<stack>.yaml
#                (override with IMAGE_REGISTRY / IMAGE_TAG, e.g. IMAGE_TAG=$(git rev-parse --short HEAD))
#   --push       build with buildx and push with SBOM and provenance attestations, then print
#                each image as <registry>/<service>@sha256:... (pin it for immutable deploys with
#                `pulumi config set --path imageDigests.<service> sha256:...`)
#   --dry-run    print the docker commands instead of running them
#
# Run from anywhere; the build context is the repository root (npm workspace).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The list of services is services/services.ts; read it rather than repeat it.
mapfile -t SERVICES < <(cd "$ROOT" && node --import tsx services/run.ts --list)
[[ ${#SERVICES[@]} -gt 0 ]] || { echo "build-images: could not read the list of services (npm ci first?)" >&2; exit 2; }
push=false dry_run=false platform="linux/amd64" stack="" selected=()

usage() { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --push) push=true ;;
    --dry-run) dry_run=true ;;
    --platform) platform="${2:?--platform needs a value}"; shift ;;
    -h|--help) usage ;;
    -*) echo "build-images: unknown option $1" >&2; usage ;;
    *) if [[ -z "$stack" ]]; then stack="$1"; else selected+=("$1"); fi ;;
  esac
  shift
done
[[ -n "$stack" ]] || usage
[[ ${#selected[@]} -gt 0 ]] || selected=("${SERVICES[@]}")
for s in "${selected[@]}"; do
  [[ " ${SERVICES[*]} " == *" $s "* ]] || { echo "build-images: unknown service '$s' (one of: ${SERVICES[*]})" >&2; exit 2; }
done

stack_file="$ROOT/Pulumi.$stack.yaml"
[[ -f "$stack_file" ]] || { echo "build-images: no stack file $stack_file" >&2; exit 2; }
# The stack file is YAML: read it with the repo's own parser rather than grep.
read_config() {
  node --input-type=module -e '
    import { readFileSync } from "node:fs";
    import { parse } from "yaml";
    const v = parse(readFileSync(process.argv[1], "utf8"))?.config?.[`llmops:${process.argv[2]}`];
    if (typeof v === "string") process.stdout.write(v);
  ' "$stack_file" "$1"
}
registry="${IMAGE_REGISTRY:-$(cd "$ROOT" && read_config imageRegistry)}"
tag="${IMAGE_TAG:-$(cd "$ROOT" && read_config imageTag)}"
[[ -n "$registry" ]] || { echo "build-images: llmops:imageRegistry is not set in $stack_file" >&2; exit 2; }
[[ -n "$tag" ]] || { echo "build-images: llmops:imageTag is not set in $stack_file" >&2; exit 2; }
[[ "$tag" != "latest" ]] || { echo "build-images: refusing tag 'latest': deploys must be pinned" >&2; exit 2; }
if [[ "$tag" == sha256:* ]]; then
  echo "build-images: stack $stack pins digest $tag; build with IMAGE_TAG=<version> and pin the pushed digest" >&2
  exit 2
fi

run() {
  if $dry_run; then printf '%q ' "$@"; printf '\n'; else "$@"; fi
}

cd "$ROOT"
for s in "${selected[@]}"; do
  image="$registry/$s:$tag"
  echo "build-images: $image" >&2
  if $push; then
    # buildx pushes the image together with its SBOM and max-mode provenance; the digest it
    # pushed comes back in the metadata file (the image is not loaded into the local engine).
    metadata="$(mktemp)"
    run docker buildx build --pull --platform "$platform" --build-arg "SERVICE=$s" -f services/Dockerfile -t "$image" \
      --push --sbom=true --provenance=mode=max --metadata-file "$metadata" .
    $dry_run || node -e '
      const m = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
      process.stdout.write(`${process.argv[2]}@${m["containerimage.digest"]}\n`);
    ' "$metadata" "$registry/$s"
    rm -f "$metadata"
  else
    run docker build --pull --platform "$platform" --build-arg "SERVICE=$s" -f services/Dockerfile -t "$image" .
  fi
done
