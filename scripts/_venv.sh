# Sourced by run.sh and test.sh: a project-local virtual environment, created on first use,
# so the two quick-start commands work on a clean clone with nothing but Python installed.
PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
VENV_PY="$PWD/.venv/bin/python"
"$VENV_PY" -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
