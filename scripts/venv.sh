# Sourced by scripts/try and scripts/test: makes .venv with a Python that
# durable-rules imports on (3.11 or 3.12; its C extension fails on 3.13) and
# installs xisai into it with the test extras.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -x .venv/bin/python ]; then
  PY=""
  for candidate in python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 12) else 1)' 2>/dev/null; then
      PY="$candidate"; break
    fi
  done
  if [ -z "$PY" ]; then
    echo "xisai needs Python 3.11 or 3.12 (durable-rules does not import on 3.13)" >&2
    exit 1
  fi
  "$PY" -m venv .venv
fi
# Install (editable) when the venv is new or pyproject.toml changed since the last install.
stamp=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat .venv/.xisai-installed 2>/dev/null)" != "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
  echo "$stamp" > .venv/.xisai-installed
fi
