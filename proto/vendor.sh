#!/bin/sh
# Copies the third-party .proto files our contracts import from their npm packages into .proto-deps/ (ignored), for buf.
set -eu
deps=.proto-deps
rm -rf "$deps"
mkdir -p "$deps/google/api" "$deps/grpc/health/v1" "$deps/grpc/reflection"
cp node_modules/google-proto-files/google/api/annotations.proto node_modules/google-proto-files/google/api/http.proto \
  node_modules/google-proto-files/google/api/field_behavior.proto "$deps/google/api/"
cp node_modules/grpc-health-check/proto/health/v1/health.proto "$deps/grpc/health/v1/"
cp -R node_modules/@grpc/reflection/build/proto/grpc/reflection/v1 node_modules/@grpc/reflection/build/proto/grpc/reflection/v1alpha "$deps/grpc/reflection/"
