#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs what is missing (scripts/setup.sh), then runs `swift test`.
# Tests themselves need neither Python nor the network.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh
swift test "$@"
