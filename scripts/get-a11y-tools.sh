#!/usr/bin/env bash
# What `make a11y` needs: Chromium and npm from Debian's packages (where apt can be used), then
# axe-core as pinned in scripts/a11y/package-lock.json (npm ci, from the npm registry).
set -eu
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: ${need[*]} missing and apt-get unavailable: install them to run the audit" >&2
    exit 1
  fi
  sudo=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo -n"
  echo "Installing ${need[*]} from Debian's packages ..."
  if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; then
    $sudo apt-get update -qq >/dev/null
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -f "$here/a11y/node_modules/axe-core/axe.min.js" ]; then
  npm ci --prefix "$here/a11y" --no-audit --no-fund --silent
fi
