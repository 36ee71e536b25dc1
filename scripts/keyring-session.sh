#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with a throwaway HOME and an
# unlocked GNOME Keyring, so keychain tests meet a real Secret Service on a
# headless machine (CI) without touching the user's own keyring.
#
#   scripts/keyring-session.sh npm test
set -euo pipefail
if [ -z "${IAMPASS_KEYRING_SESSION:-}" ]; then
  command -v dbus-run-session >/dev/null || { echo "keyring-session: dbus-run-session missing (apt-get install dbus)" >&2; exit 127; }
  command -v gnome-keyring-daemon >/dev/null || { echo "keyring-session: gnome-keyring-daemon missing (apt-get install gnome-keyring)" >&2; exit 127; }
  export IAMPASS_KEYRING_SESSION=1
  exec dbus-run-session -- "$0" "$@"
fi
throwaway=$(mktemp -d)
trap 'rm -rf "$throwaway"' EXIT
export HOME="$throwaway"
export XDG_DATA_HOME="$HOME/.local/share" XDG_CONFIG_HOME="$HOME/.config" XDG_RUNTIME_DIR="$HOME/.run"
mkdir -p "$XDG_DATA_HOME/keyrings" "$XDG_CONFIG_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
# --unlock reads the login keyring's password on stdin and creates it unlocked.
eval "$(printf '%s' "throwaway-$RANDOM$RANDOM" | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
"$@"
