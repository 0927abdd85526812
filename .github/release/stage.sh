#!/usr/bin/env bash
# Copy dist/ to DIR under ASCII names (GitHub rewrites non-ASCII asset names) and add SHA256SUMS:
#   stage.sh NAME DIR  ->  DIR/NAME-1.2.0.apkg, -sheet.pdf, -worksheet.pdf, CHANGES.md, SHA256SUMS
set -euo pipefail
name="${1:?usage: stage.sh NAME DIR}-${GITHUB_REF_NAME#v}"
out="${2:?usage: stage.sh NAME DIR}"
mkdir -p "$out"
shopt -s nullglob
apkg=(dist/*.apkg) worksheet=(dist/*-worksheet.pdf) sheet=()
for pdf in dist/*.pdf; do [[ "$pdf" == *-worksheet.pdf ]] || sheet+=("$pdf"); done
if (( ${#apkg[@]} != 1 || ${#sheet[@]} != 1 || ${#worksheet[@]} != 1 )); then
  echo "dist/ must hold one .apkg, one sheet and one worksheet; it has: $(ls dist)" >&2
  exit 1
fi
cp "${apkg[0]}" "$out/$name.apkg"
cp "${sheet[0]}" "$out/$name-sheet.pdf"
cp "${worksheet[0]}" "$out/$name-worksheet.pdf"
cp dist/CHANGES.md "$out/CHANGES.md"
(cd "$out" && sha256sum -- *.apkg *.pdf CHANGES.md > SHA256SUMS)
ls -l "$out"
