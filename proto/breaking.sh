#!/bin/sh
# Checks the contracts against the previous commit's (or the given git revision's) with buf breaking, by the rules in buf.yaml.
# Both sides are built into images with today's third-party imports, which git does not hold (.proto-deps is made at generate time).
set -eu
base=${1:-HEAD~1}
if ! git rev-parse --verify --quiet "$base^{commit}" >/dev/null; then
  echo "buf breaking: this clone has no $base (a shallow clone?), so there is nothing to compare with: skipped" >&2
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/base"
git archive "$base" proto buf.yaml | tar -x -C "$work/base"
cp -R .proto-deps "$work/base/"
(cd "$work/base" && buf build -o "$work/base.binpb")
buf build -o "$work/current.binpb"
buf breaking "$work/current.binpb" --against "$work/base.binpb"
