#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine with the .NET SDK and Node: installs what the tests need first.
set -euo pipefail
cd "$(dirname "$0")"
# Interop tests verify our bundles with independently written tools (@sigstore/verify, GitHub's OpenAPI examples).
if [ -f tests/interop/package.json ]; then
  npm ci --prefix tests/interop --no-audit --no-fund --loglevel=error
fi
npm ci --prefix tests/openapi --no-audit --no-fund --loglevel=error   # GitHub's OpenAPI examples for the fake GitHub
dotnet test EvidenceBot.sln -c Release "$@"
