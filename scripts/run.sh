#!/usr/bin/env bash
# Install Jirei and run it. No Slack tokens set: the local console on SQLite.
# Arguments go to run_bot.py, e.g. `bash scripts/run.sh demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
install_jirei .
exec "$VENV_PY" run_bot.py "$@"
