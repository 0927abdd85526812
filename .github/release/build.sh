#!/usr/bin/env bash
# Build dist/ for the tag in GITHUB_REF_NAME (e.g. v0.2.0), as the release workflow does:
# the version comes from the tag, every date from the tagged commit, and CHANGES.md lists
# what changed since the previous v[0-9]* tag (everything, for the first release).
set -euo pipefail
tag="${GITHUB_REF_NAME:?set GITHUB_REF_NAME to the release tag}"
SOURCE_DATE_EPOCH="$(git log -1 --format=%ct "$tag^{commit}")"
export SOURCE_DATE_EPOCH STUDYDECK_VERSION="$tag"
# Where the cards link their entry's file, and the deck description the change list, unless
# pyproject.toml's [tool.studydeck] source-url / changes-url say otherwise. The default branch:
# a learner who opens an entry sees it as it is now, with any fix already made.
if [ -n "${GITHUB_SERVER_URL:-}" ] && [ -n "${GITHUB_REPOSITORY:-}" ]; then
  export STUDYDECK_SOURCE_URL="${STUDYDECK_SOURCE_URL:-$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/blob/${DEFAULT_BRANCH:-main}/}"
  export STUDYDECK_CHANGES_URL="${STUDYDECK_CHANGES_URL:-$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/releases/tag/$tag}"
fi
previous_lock="$(mktemp)"
trap 'rm -f "$previous_lock"' EXIT
if previous="$(git describe --tags --abbrev=0 --match 'v[0-9]*' "$tag^" 2>/dev/null)"; then
  git show "$previous:entries.lock" > "$previous_lock" 2>/dev/null || : > "$previous_lock"
  echo "changes since $previous"
else
  echo "first release: every note is new"
fi
"${PYTHON:-.venv/bin/python}" build.py --locked --changes-since "$previous_lock"
