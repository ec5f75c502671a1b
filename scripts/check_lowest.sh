#!/usr/bin/env bash
# Install the LOWEST versions pyproject.toml allows for the runtime dependencies and run the
# test suite (web tests aside: the web extra is pinned by constraints.txt) against them, so a
# range in pyproject.toml is a tested claim, not a guess. Not part of CI (it downloads old
# wheels); run it when a lower bound changes.   scripts/check_lowest.sh
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q "numpy==1.26.0" "pydantic==2.6.0" "PyYAML==6.0" "ruamel.yaml==0.18.0" \
  "typer==0.13.0" "click==8.0.0" "rich==13.7.0" "pandas==2.0.0" pytest hypothesis
"$tmp/venv/bin/pip" install -q --no-deps .
"$tmp/venv/bin/pip" list 2>/dev/null | grep -i -E '^(numpy|pydantic|pyyaml|ruamel.yaml|typer|click|rich|pandas) '
"$tmp/venv/bin/python" -m pytest -q -p no:cacheprovider --ignore=tests/web --ignore=tests/fuzz/test_fuzz_api.py \
  --ignore=tests/test_one_answer.py
