#!/usr/bin/env bash
# Sohoa demo on the bundled samples: import the register, scan the papers, search, report coverage.
#
#   SOHOA_ARCHIVE=demo-archive bash samples/demo.sh      (from the repository root; `make demo` does this)
#
# Needs `sohoa` on PATH and the samples generated (python samples/make_samples.py --check).
# Safe to run again on the same archive: papers already archived are reported as skipped.
set -euo pipefail

: "${SOHOA_ARCHIVE:?set SOHOA_ARCHIVE to the archive folder, e.g. SOHOA_ARCHIVE=demo-archive}"
command -v sohoa >/dev/null || { echo "demo: sohoa is not on PATH (pip install -e . in a venv)" >&2; exit 2; }

# Manifest paths are relative to the repository root; keep a relative archive path meaning
# what it meant where the script was started.
case "$SOHOA_ARCHIVE" in
  /*) ;;
  *) SOHOA_ARCHIVE="$PWD/$SOHOA_ARCHIVE" ;;
esac
export SOHOA_ARCHIVE
cd "$(dirname "${BASH_SOURCE[0]}")/.."

REGISTER=samples/register.csv
MANIFEST=samples/scans/manifest.tsv
for f in "$REGISTER" "$MANIFEST"; do
  [[ -f $f ]] || { echo "demo: $f is missing; run: python samples/make_samples.py" >&2; exit 2; }
done

heading() { printf '\n== %s\n' "$*"; }

heading "1/4 Import the register of received records ($REGISTER)"
sohoa records import "$REGISTER"

heading "2/4 Scan the papers listed in $MANIFEST"
# One `sohoa scan` per (record, component) or (record, result), with all of its files.
# The manifest is tab-separated with a possibly empty component column; `read` would merge
# consecutive tabs, so the fields are cut out by hand.
declare -A files_of=()
order=()
while IFS= read -r line || [[ -n $line ]]; do
  line=${line%$'\r'}
  [[ -z $line ]] && continue
  file=${line%%$'\t'*};      rest=${line#*$'\t'}
  code=${rest%%$'\t'*};      rest=${rest#*$'\t'}
  component=${rest%%$'\t'*}; result=${rest#*$'\t'}
  key="$code"$'\x1f'"$component"$'\x1f'"$result"  # unit separator: keeps empty fields
  if [[ -z ${files_of[$key]+set} ]]; then
    order+=("$key")
    files_of[$key]=$file
  else
    files_of[$key]+=$'\n'"$file"
  fi
done < <(tail -n +2 "$MANIFEST")

for key in "${order[@]}"; do
  IFS=$'\x1f' read -r code component result <<<"$key"
  if [[ $result == 1 ]]; then
    component=""
    what=(--result)
    label="kết quả (result)"
  else
    what=(--component "$component")
    label=$component
  fi
  mapfile -t paths <<<"${files_of[$key]}"
  echo "-- $code: $label (${#paths[@]} file(s))"
  sohoa scan "${paths[@]}" --record "$code" "${what[@]}"
done

heading "3/4 Search (tones and đ optional)"
echo '$ sohoa search "nguyen van an"'
sohoa search "nguyen van an"
echo '$ sohoa search "giay khai sinh" --limit 5'
sohoa search "giay khai sinh" --limit 5

heading "4/4 Digitization coverage (Decision 766/QĐ-TTg indicators)"
sohoa coverage
sohoa coverage --by agency
