#!/usr/bin/env bash
# Install Jirei with its test extras and run the whole suite. Arguments go to pytest.
# PostgreSQL tests run too when JIREI_TEST_POSTGRES_URL is set (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
install_jirei ".[dev]"
exec "$VENV_PY" -m pytest "$@"
