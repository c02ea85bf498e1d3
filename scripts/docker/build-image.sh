#!/usr/bin/env bash
# The docker-build target of every image project (`nx run-many -t docker-build`): builds the project's
# Dockerfile from the repository root and tags scale-lab/<name>:<version> and :latest, with the version
# and git commit as build args (they become OCI labels). DOCKER picks the client (default: docker).
set -euo pipefail
project_dir="$(pwd)"
root="$(git -C "$project_dir" rev-parse --show-toplevel 2>/dev/null || (cd "$project_dir/../.." && pwd))"
name="$(node -p 'require("./package.json").name.replace(/^@scale-lab\//, "")')"
version="$(node -p 'require("./package.json").version')"
git_sha="$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
docker="${DOCKER:-docker}"

if ! "$docker" info >/dev/null 2>&1; then
  echo "docker-build: no Docker engine answers ('$docker info' failed). Start Docker, or set DOCKER to a working client." >&2
  exit 1
fi
echo "docker-build: scale-lab/$name:$version (and :latest) from ${project_dir#"$root"/}/Dockerfile, commit $git_sha"
DOCKER_BUILDKIT=1 "$docker" build \
  --file "$project_dir/Dockerfile" \
  --tag "scale-lab/$name:$version" --tag "scale-lab/$name:latest" \
  --build-arg "VERSION=$version" --build-arg "GIT_SHA=$git_sha" \
  ${DOCKER_BUILD_FLAGS:-} "$root"
