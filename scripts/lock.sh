#!/usr/bin/env bash
# Regenerate constraints.txt: the exact versions a fresh install of tokenfab (with the dev and
# web extras) resolves to today. The README's commands and CI install with `-c constraints.txt`,
# so every machine gets these versions until this script is run again and the file committed.
#   scripts/lock.sh            # needs python3.11 and pip; reaches the package index
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q --upgrade pip
"$tmp/venv/bin/pip" install -q '.[dev,web]'
{
  echo "# tokenfab constraints: every package a fresh install resolves to, pinned."
  echo "# Regenerate with scripts/lock.sh (Python $("$tmp/venv/bin/python" -c 'import sys; print(".".join(map(str, sys.version_info[:2])))'), $(date -u +%Y-%m-%d))."
  "$tmp/venv/bin/pip" freeze --all --exclude-editable | grep -v -i -E '^(tokenfab|pip|setuptools|wheel)( @|==)'
} > constraints.txt
echo "wrote constraints.txt ($(grep -c '==' constraints.txt) pins)"
