#!/usr/bin/env bash
# Run a command inside the Colab-like environment that envs/colab/build.sh made in DIR:
#
#   envs/colab/run.sh DIR CMD [ARG...]        e.g.  envs/colab/run.sh build/colab-env python -m pytest
#
# DIR is a Debian chroot whose /opt/venv comes first on PATH. The checkout this script belongs to is
# bind-mounted at the same path as on the host (read-write: tests and the course write build/ and
# data/ there), its sibling ../shared (the development copy of RAVDESS) read-only, plus /proc, /sys,
# /dev and the host's resolv.conf. CMD runs in the same folder as here when that lies in the
# checkout, else at its root. The mounts live in a private mount namespace (unshare -m) and are
# unmounted on exit, failure or interrupt included. The environment is scrubbed (env -i), so the
# host's pip settings do not leak in; BCSER_* and proxy variables are passed through.
# Needs root (as here and in CI). Exit status: CMD's.
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 DIR CMD [ARG...]" >&2
    exit 2
fi
if [ "$(id -u)" != 0 ]; then
    echo "$0: needs root (chroot and bind mounts)" >&2
    exit 2
fi

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DIR=$(realpath -m "$1")
shift
if [ ! -x "$DIR/usr/bin/env" ]; then
    echo "$0: $DIR is not a built environment (run envs/colab/build.sh $DIR first)" >&2
    exit 2
fi

# The checkout: git's answer, or two levels above this script where git refuses (another owner).
ROOT=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null || (cd "$HERE/../.." && pwd))
SHARED=$(dirname "$ROOT")/shared

# Re-enter in a private mount namespace: nothing mounted below is seen by, or left behind on, the host.
if [ -z "${COLAB_RUN_IN_NS:-}" ]; then
    COLAB_RUN_IN_NS=1 exec unshare --mount --propagation private -- bash "${BASH_SOURCE[0]}" "$DIR" "$@"
fi

MOUNTED=()
cleanup() {
    local i
    for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do
        umount -R "${MOUNTED[$i]}" 2>/dev/null || umount -l "${MOUNTED[$i]}" || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bind() {  # bind SRC (a directory) at the same path inside DIR; "ro" as $2 makes it read-only
    mkdir -p "$DIR$1"
    mount --bind "$1" "$DIR$1"
    MOUNTED+=("$DIR$1")
    if [ "${2:-}" = ro ]; then
        mount -o remount,bind,ro "$DIR$1"
    fi
}

mount -t proc proc "$DIR/proc"
MOUNTED+=("$DIR/proc")
mount --rbind /sys "$DIR/sys"
MOUNTED+=("$DIR/sys")
mount --rbind /dev "$DIR/dev"   # /dev/shm too (multiprocessing's semaphores)
MOUNTED+=("$DIR/dev")
if [ -f "$DIR/etc/resolv.conf" ] && [ ! -L "$DIR/etc/resolv.conf" ]; then
    mount --bind "$(realpath /etc/resolv.conf)" "$DIR/etc/resolv.conf"
    MOUNTED+=("$DIR/etc/resolv.conf")
fi
bind "$ROOT"
if [ -d "$SHARED" ]; then
    bind "$SHARED" ro
else
    echo "$0: note: $SHARED is absent; the tests fall back to the synthetic corpus" >&2
fi

case "$PWD/" in
    "$ROOT"/*) WORKDIR=$PWD ;;
    *) WORKDIR=$ROOT ;;
esac

ENVVARS=(HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" VIRTUAL_ENV=/opt/venv
         PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
while IFS='=' read -r name _; do
    case $name in
        BCSER_*|http_proxy|https_proxy|no_proxy|HTTP_PROXY|HTTPS_PROXY|NO_PROXY)
            ENVVARS+=("$name=${!name}") ;;
    esac
done < <(env)

rc=0
chroot "$DIR" /usr/bin/env -i "${ENVVARS[@]}" /bin/sh -c 'cd "$1" && shift && exec "$@"' sh \
    "$WORKDIR" "$@" || rc=$?
exit "$rc"
