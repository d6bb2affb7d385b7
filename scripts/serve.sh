#!/usr/bin/env bash
# The main job from a fresh clone: installs what is missing, builds MergeGuard (release) and starts it on the default model.
# Until the HTTP server lands this opens `mergeguard chat` on SmolLM2-135M-Instruct; extra arguments go to it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh --model-only
swift build -c release -q --product mergeguard
exec .build/release/mergeguard chat --model models/SmolLM2-135M-Instruct.Q4_1.gguf "$@"
