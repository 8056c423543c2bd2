#!/bin/bash
# Prints the folder `make test` gives the tests for their temporary files (TMPDIR), made
# if need be: a folder of this user's in /dev/shm when that is a writable tmpfs with room
# to spare, so that the thousands of small files, databases and browser profiles the
# tests write stay in memory instead of going through the disk's journal; the usual
# TMPDIR otherwise (and TEST_TMPDIR when it is set).
set -u
if [ -n "${TEST_TMPDIR:-}" ]; then
  echo "$TEST_TMPDIR"
  exit 0
fi
need_kib=$((4 * 1024 * 1024))   # a whole run writes about a gigabyte
shm="${VIGIE_TEST_SHM:-/dev/shm}"   # another tmpfs, for the test of this script
folder="$shm/vigie-tests-$(id -u)"
if [ "$(stat -f -c %T "$shm" 2>/dev/null)" = tmpfs ] && [ -w "$shm" ] &&
   [ "$(df -Pk "$shm" 2>/dev/null | awk 'NR == 2 { print $4 }')" -ge "$need_kib" ] 2>/dev/null &&
   { [ -d "$folder" ] || mkdir -m 700 "$folder" 2>/dev/null; } &&
   [ ! -L "$folder" ] && [ -O "$folder" ]; then   # never a folder or a link another user made
  echo "$folder"
else
  echo "${TMPDIR:-/tmp}"
fi
