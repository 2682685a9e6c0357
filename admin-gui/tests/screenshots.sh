#!/usr/bin/env bash
# Pictures of each view of bootkeeper-admin for the README, rendered offscreen against a real
# bootkeeperd with a small lab (the same set-up as the GUI tests). As root, from a build with
# -DBK_BUILD_GUI=ON:  admin-gui/tests/screenshots.sh [BUILD_DIR]   -> docs/screenshots/*.png
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "${1:-$here/../../build}" && pwd)"
out="$(cd "$here/../.." && pwd)/docs/screenshots"
BK_BOOTKEEPERD="$build/server/bootkeeperd" BK_ADMIN_TESTS="$build/admin-gui/bk_admin_tests" \
  BK_SCREENSHOTS="$out" bash "$here/admin_gui.sh" >/dev/null || { echo "screenshots: the GUI suite failed"; exit 1; }
ls "$out"/*.png
