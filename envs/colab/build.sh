#!/usr/bin/env bash
# Build a Colab-like Python 3.13 environment in DIR from the package registries alone:
#
#   envs/colab/build.sh DIR          (as root; make test-colab uses DIR=build/colab-env)
#
# 1. debootstrap a minimal Debian 13 "trixie" into DIR, from the Debian mirror apt here already uses
#    (read from /etc/apt/sources.list{,.d}; COLAB_DEBIAN_MIRROR=URL overrides it);
# 2. apt: python3.13, venv and pip, python3-torch (Debian's CPU build: Colab's torch 2.11.0+cpu comes
#    from PyTorch's own index, unreachable here), and the libraries the wheels need at run time;
# 3. a venv, /opt/venv, with --system-site-packages, so that Debian's torch is the torch pip sees;
# 4. pip install -r envs/colab/versions.txt: what Colab has preinstalled (plain PyPI, as Colab sees);
# 5. the project as the notebooks' Colab cell installs it (pip install -q -e REPO), then .[test];
# 6. checks: Debian's CPU torch, no CUDA wheels, torch inside the project's bounds, pins held.
# Every pip install is dry-run first and refused if it would bring torch, triton or nvidia-* wheels.
# Idempotent: each finished step leaves a marker in DIR/.colab-build/ holding its inputs' digest, and
# a step whose marker matches is skipped (versions.txt or pyproject.toml changed: steps 4-6 rerun).
# DIR/.colab-build/finished marks a finished environment; it holds the final pip freeze.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 DIR" >&2
    exit 2
fi
if [ "$(id -u)" != 0 ]; then
    echo "$0: needs root (debootstrap, chroot)" >&2
    exit 2
fi

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null || (cd "$HERE/../.." && pwd))
DIR=$(realpath -m "$1")
MARKS=$DIR/.colab-build
SUITE=trixie
# libatomic1: pedalboard's native module links it (Colab's Ubuntu image has it; minbase lacks it);
# git: Colab has it (the notebooks' first cell clones with it; results record the commit)
APT_PACKAGES="python3.13 python3-venv python3-pip python3-torch libsndfile1 libgomp1 libatomic1 git ca-certificates"
IN_ENV=("$HERE/run.sh" "$DIR")
START=$SECONDS

say() { printf '[colab-env %4ss] %s\n' "$((SECONDS - START))" "$*"; }
digest() { cat "$@" | sha256sum | cut -c1-16; }

# step NAME KEY CMD...: run CMD unless DIR/.colab-build/NAME already holds KEY
step() {
    local name=$1 key=$2
    shift 2
    if [ -f "$MARKS/$name" ] && [ "$(cat "$MARKS/$name")" = "$key" ]; then
        say "$name: done already"
        return 0
    fi
    say "$name ..."
    rm -f "$MARKS/finished"
    "$@"
    printf '%s\n' "$key" >"$MARKS/$name"
    say "$name: done"
}

# The first Debian archive (not -security) in apt's sources: deb822 *.sources or one-line *.list.
host_mirror() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        case $f in
            *.sources) awk 'BEGIN { RS = ""; FS = "\n" }
                { u = ""; s = ""; on = 1
                  for (i = 1; i <= NF; i++) {
                      if ($i ~ /^URIs:/)    { sub(/^URIs:[ \t]*/, "", $i); split($i, a, /[ \t]+/); u = a[1] }
                      if ($i ~ /^Suites:/)  { sub(/^Suites:[ \t]*/, "", $i); s = $i }
                      if ($i ~ /^Enabled:[ \t]*(no|false)/) on = 0 }
                  if (on && u != "") print u, s }' "$f" ;;
            *) awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) while ($i !~ /\]$/) i++; if ($2 ~ /^\[/) i++
                                  print $i, $(i + 1) }' "$f" ;;
        esac
    done | awk '{ for (i = 2; i <= NF; i++)
                    if ($i ~ /^(bullseye|bookworm|trixie|forky|sid|stable|testing|unstable|oldstable)(-updates)?$/) {
                        print $1; exit } }'
}

debootstrap_env() {
    local mirror=${COLAB_DEBIAN_MIRROR:-$(host_mirror)}
    if [ -z "$mirror" ]; then
        echo "$0: no Debian mirror in /etc/apt/sources.list{,.d}; set COLAB_DEBIAN_MIRROR=URL" >&2
        exit 1
    fi
    command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap; }
    if [ -e "$DIR" ] && [ -n "$(ls -A "$DIR" 2>/dev/null)" ]; then
        if [ -d "$DIR/debootstrap" ] && ! grep -q " $DIR/" /proc/mounts; then
            say "removing an unfinished debootstrap in $DIR"
            rm -rf "$DIR"
        else
            echo "$0: $DIR is not empty and not an environment this script made; remove it first" >&2
            exit 1
        fi
    fi
    mkdir -p "$DIR"
    say "debootstrap $SUITE from $mirror"
    # in a private mount namespace: the /proc debootstrap mounts inside DIR cannot outlive it
    unshare --mount --propagation private -- \
        debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$DIR" "$mirror"
    mkdir -p "$MARKS"
}

# The host's local CAs (a TLS-intercepting egress proxy's, say) into DIR's bundle, every run: cheap,
# and such CAs can change between sessions. Without any, the bundle is Debian's.
refresh_cas() {
    local crt
    mkdir -p "$DIR/usr/local/share/ca-certificates"
    find "$DIR/usr/local/share/ca-certificates" -name 'host-*.crt' -delete
    for crt in /usr/local/share/ca-certificates/*.crt; do
        [ -f "$crt" ] && cp "$crt" "$DIR/usr/local/share/ca-certificates/host-$(basename "$crt")"
    done
    cp -L /etc/resolv.conf "$DIR/etc/resolv.conf"
    "${IN_ENV[@]}" update-ca-certificates --fresh >/dev/null 2>&1 ||
        { echo "$0: update-ca-certificates failed in $DIR" >&2; exit 1; }
}

apt_env() {
    "${IN_ENV[@]}" sh -c "export DEBIAN_FRONTEND=noninteractive
        apt-get update -q && apt-get install -y -q --no-install-recommends $APT_PACKAGES && apt-get clean"
}

venv_env() {
    "${IN_ENV[@]}" python3.13 -m venv --system-site-packages /opt/venv
}

# pip_install ARGS...: dry-run first, refusing a plan with torch/triton/nvidia-* wheels, then install
pip_install() {
    "${IN_ENV[@]}" python -m pip install --dry-run --quiet --report /tmp/colab-plan.json "$@"
    "${IN_ENV[@]}" python "$HERE/check.py" plan /tmp/colab-plan.json
    "${IN_ENV[@]}" python -m pip install "$@"
}

pins_env() {
    pip_install -r "$HERE/versions.txt"
}

project_env() {
    # the Colab cell (notebooks/01_dataset_exploration.ipynb): pip install -q -e /content/bcser
    pip_install -q -e "$ROOT"
    # and the test extras, since pytest runs here
    pip_install -q -e "$ROOT[test]"
}

check_env() {
    "${IN_ENV[@]}" python "$HERE/check.py" env
    "${IN_ENV[@]}" python -m pip check
    "${IN_ENV[@]}" python -m pip cache purge >/dev/null 2>&1 || true
}

step debootstrap "$SUITE" debootstrap_env
refresh_cas
step apt "$(echo "$APT_PACKAGES" | sha256sum | cut -c1-16)" apt_env
step venv "python3.13 --system-site-packages" venv_env
PINS_KEY=$(digest "$HERE/versions.txt")
step pins "$PINS_KEY" pins_env
PROJECT_KEY="$PINS_KEY $(digest "$ROOT/pyproject.toml") $ROOT"
step project "$PROJECT_KEY" project_env
step checks "$PROJECT_KEY $(digest "$HERE/check.py")" check_env
if [ ! -f "$MARKS/finished" ]; then
    # (stderr dropped: without git in the env, freeze warns that the editable's version is unknown)
    "${IN_ENV[@]}" python -m pip freeze --all 2>/dev/null >"$MARKS/finished"
fi
say "finished: $DIR ($(du -sh --one-file-system "$DIR" | cut -f1)); run in it with: $HERE/run.sh $DIR CMD..."
