# Sourced by run.sh and test.sh: a project-local virtual environment, created on first use,
# so the two quick-start commands work on a clean clone with nothing but Python installed.
PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
VENV_PY="$PWD/.venv/bin/python"

# install_jirei SPEC: install the project (`.` or `.[dev]`) into .venv, but only when
# pyproject.toml changed since the last install of that SPEC (its hash is kept in a stamp file
# inside .venv); the editable install already follows changes to the code itself.
install_jirei() {
  local spec="$1" stamp wanted
  stamp=".venv/.jirei-installed-$(printf '%s' "$spec" | tr -c 'a-z' '_')"
  wanted="$(cat pyproject.toml scripts/_venv.sh | "$VENV_PY" -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    return 0
  fi
  "$VENV_PY" -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
  "$VENV_PY" -m pip install --quiet --disable-pip-version-check -e "$spec"
  printf '%s\n' "$wanted" > "$stamp"
}
