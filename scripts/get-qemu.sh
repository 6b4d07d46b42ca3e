#!/usr/bin/env bash
# qemu-user from Debian, where apt-get can be used: tests/test_determinism.py runs the book's kernels
# under emulated AVX2-only Intel and AMD processors and compares their bits with this machine's
# (cnnmath.determinism). Called by `make test`. Where apt cannot be used it says so and carries on;
# the test then reports itself skipped with the reason.
set -u
command -v qemu-x86_64 >/dev/null 2>&1 && exit 0
[ "$(uname -m)" = x86_64 ] || exit 0
if command -v apt-get >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo -n"
  echo "Installing Debian's qemu-user (the cross-CPU test of cnnmath.determinism) ..."
  if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user >/dev/null 2>&1; then
    $sudo apt-get update -qq >/dev/null 2>&1 || true
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user >/dev/null 2>&1 || true
  fi
fi
command -v qemu-x86_64 >/dev/null 2>&1 || echo "qemu-user is not installed: the cross-CPU test will be skipped" >&2
exit 0
