#!/usr/bin/env bash
# Vendor Cytoscape.js (the map page's graph drawing and layout) from the npm registry:
#   bash scripts/update-cytoscape.sh [VERSION]
# writes site_builder/static/cytoscape.min.js and its licence beside it. The site needs
# nothing else at run time: no Node, no package to install.
set -euo pipefail
version="${1:-3.35.0}"
here="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "cytoscape@$version" >/dev/null && tar xzf "cytoscape-$version.tgz")
install -m 0644 "$work/package/dist/cytoscape.min.js" "$here/site_builder/static/cytoscape.min.js"
install -m 0644 "$work/package/LICENSE" "$here/site_builder/static/cytoscape.LICENSE.txt"
echo "cytoscape $version vendored in site_builder/static/"
