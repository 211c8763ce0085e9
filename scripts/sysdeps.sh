#!/usr/bin/env bash
# Install the Debian packages posenet_mobile's build and tests need, if they are missing.
# Runs as root on CI and fresh machines; a no-op when everything is present.
set -euo pipefail

need=()
python3 -c "import venv, ensurepip" 2>/dev/null || need+=(python3-venv)
command -v make >/dev/null || need+=(make)
command -v git >/dev/null || need+=(git)
command -v javac >/dev/null || need+=(openjdk-17-jdk-headless)
[ -f /usr/share/java/junit4.jar ] || need+=(junit4)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "sysdeps: missing ${need[*]}; install them (needs root): apt-get install ${need[*]}" >&2
    exit 1
  fi
  echo "sysdeps: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
