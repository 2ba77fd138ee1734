#!/usr/bin/env bash
# Executes the notebooks on a small run and a small sweep, so that they never rot: a Python
# virtual environment with pandas, matplotlib and nbconvert (in .venv-notebooks/, reused), the
# smoke scenario cut to 20 s and tests/slurm/sweep.toml run into a temporary folder, then
# `jupyter nbconvert --execute` on each notebook. Usage: check.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-target/release/gossipsim}")
venv=.venv-notebooks
if ! "$venv/bin/python" -c "import pandas, matplotlib, nbconvert, nbclient, ipykernel" 2>/dev/null; then
  if ! python3 -m venv "$venv" 2>/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install -q --disable-pip-version-check nbconvert nbclient ipykernel pandas matplotlib
fi
work=$(mktemp -d /tmp/gossipsim-notebooks.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$bin" run scenarios/smoke.toml --set 'time.duration="20s"' --out "$work/run" --quiet
"$bin" sweep tests/slurm/sweep.toml --out "$work/sweep" --quiet
export GOSSIPSIM_HEADLESS=1 GOSSIPSIM_RUN="$work/run" GOSSIPSIM_SWEEP="$work/sweep"
for nb in notebooks/run.ipynb notebooks/sweep.ipynb; do
  GOSSIPSIM_FIGURES="$work/figures-$(basename "$nb" .ipynb)" \
    "$venv/bin/jupyter" nbconvert --to notebook --execute "$nb" --output-dir "$work/executed" --log-level WARN
done
echo "notebooks: ok: run.ipynb ($(ls "$work/figures-run" | wc -l) figures), sweep.ipynb ($(ls "$work/figures-sweep" | wc -l) figures) executed"
