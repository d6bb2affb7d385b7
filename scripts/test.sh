#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs what is missing (scripts/setup.sh), runs `swift test`, then
# drives `mergeguard serve` with the real `openai` Python client (Tests/Integration). Only the set-up uses the network.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh
# The HTTP tests bound response and cancellation times; they run on their own, because the model tests keep
# Swift's cooperative pool (as wide as the CPU count) busy with forward passes and would delay the test clients.
swift test --skip APITests "$@"
swift test --filter APITests "$@"
swift build --product mergeguard
# Passing tests' tmp_path folders (merged models and caches, ~3.7 GB a run) are removed at the end; failing ones stay.
.venv/bin/python -m pytest -q -p no:cacheprovider -o tmp_path_retention_policy=failed Tests/Integration
