#!/usr/bin/env bash
# Install the Debian TeX packages cnnmath uses, where apt-get can be used.
#
#   scripts/get-tex.sh minimal   what the tests need: pdflatex with amsmath and Latin Modern (the
#                                derivation displays are compiled under real LaTeX) and pdftotext
#   scripts/get-tex.sh full      what `make pdf` (the print edition) and the paper exams of
#                                `python -m cnnmath.quiz exam` need: latexmk, xelatex, the LaTeX
#                                packages Sphinx's LaTeX writer loads, Latin Modern fonts
#
# Never texlive-fonts-extra (1.4 GB): nothing cnnmath builds needs it. Where apt-get cannot be
# used (no root and no sudo, not Debian), it says what is missing and carries on: the caller
# (cnnmath.tex.compile) then fails with an error naming the package. cnnmath.tex.DEBIAN_PACKAGES
# lists the same two sets; tests/test_tex.py checks that the two lists agree.
set -u
set_name=${1:-full}
minimal=(texlive-latex-base texlive-latex-recommended lmodern poppler-utils)
full=("${minimal[@]}" texlive-latex-extra texlive-fonts-recommended texlive-xetex
  texlive-plain-generic fonts-lmodern latexmk)
case "$set_name" in
  minimal) packages=("${minimal[@]}") ;;
  full) packages=("${full[@]}") ;;
  *)
    echo "usage: scripts/get-tex.sh [minimal|full] (got '$set_name')" >&2
    exit 2
    ;;
esac

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
else
  # Not Debian: report what the engines look like and let cnnmath.tex name what is missing.
  for tool in pdflatex pdftotext; do
    command -v "$tool" >/dev/null 2>&1 || echo "TeX: $tool is not on PATH" >&2
  done
  if [ "$set_name" = full ]; then
    for tool in xelatex latexmk; do
      command -v "$tool" >/dev/null 2>&1 || echo "TeX: $tool is not on PATH" >&2
    done
  fi
  exit 0
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if command -v apt-get >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo -n"
  echo "Installing Debian's TeX packages ($set_name set): ${missing[*]} ..."
  install() {
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null 2>&1
  }
  if ! install; then
    $sudo apt-get update -qq >/dev/null 2>&1 || true
    install || true
  fi
fi

still=()
for p in "${missing[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || still+=("$p")
done
if [ ${#still[@]} -eq 0 ]; then
  echo "TeX ($set_name set): installed"
else
  echo "TeX ($set_name set) is incomplete; install Debian's ${still[*]}" \
    "(apt-get install ${still[*]}) or an equivalent TeX Live." >&2
fi
exit 0
