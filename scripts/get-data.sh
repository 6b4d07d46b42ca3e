#!/usr/bin/env bash
# Make the offline datasets available: Fashion-MNIST from Debian's dataset-fashion-mnist package.
# Called by `make book` and `make test`. Where apt cannot be used (no root, not Debian), it says
# so and carries on: cnnmath.data then looks in the user cache and tells the user what to do.
set -u
dir=/usr/share/datasets/fashion-mnist
if [ -f "$dir/train-images-idx3-ubyte.gz" ] && [ -f "$dir/t10k-labels-idx1-ubyte.gz" ]; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo -n"
  echo "Installing Fashion-MNIST from Debian's package dataset-fashion-mnist ..."
  if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1; then
    $sudo apt-get update -qq >/dev/null 2>&1 || true
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 || true
  fi
fi
if [ -f "$dir/train-images-idx3-ubyte.gz" ]; then
  echo "Fashion-MNIST: $dir"
else
  echo "Fashion-MNIST is not installed in $dir. Install Debian's dataset-fashion-mnist, or put the four" >&2
  echo "*-ubyte.gz files in ~/.cache/cnnmath/fashion-mnist, or run cnnmath.data.download('fashion-mnist') online." >&2
fi
exit 0
