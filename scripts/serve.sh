#!/usr/bin/env bash
# The main job from a fresh clone: installs what is missing, builds MergeGuard (release) and serves models.json
# (the OpenAI-compatible API on http://127.0.0.1:8080/v1). Extra arguments go to `mergeguard serve`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh --model-only
swift build -c release -q --product mergeguard
exec .build/release/mergeguard serve --config models.json "$@"
