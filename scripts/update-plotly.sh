#!/usr/bin/env bash
# Vendor Plotly's official partial bundle "basic" (scatter, bar and pie traces, with the
# date axes, range buttons, shapes and hover the machine pages use) into site_builder/vendor/:
# the minified script, its licence and the version, taken from the npm registry with npm.
# For maintainers: the bundle is committed, so building or running Vigie needs no npm.
#
#   bash scripts/update-plotly.sh            # the release of the plotly package requirements.txt pins
#   bash scripts/update-plotly.sh 4.1.1      # a given version (then pin the plotly package that bundles it)
#
# Then build a site, look at a machine page's graphs, run the graph tests
# (tests/test_site_graph*_browser.py) and commit the three files.
set -euo pipefail

package=plotly.js-basic-dist-min
root="$(cd "$(dirname "$0")/.." && pwd)"
vendor="$root/site_builder/vendor"
pinned() {  # the plotly.js release inside the pinned plotly package
  "$root/.venv/bin/python" -c 'from site_builder.build import pinned_plotly_version; print(pinned_plotly_version())'
}
version=${1:-$(pinned)}

command -v npm >/dev/null || { echo "update-plotly: npm is needed (Debian: apt-get install npm)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
version=$(npm view "$package@$version" version | tail -n 1)
[ -n "$version" ] || { echo "update-plotly: no version $1 of $package" >&2; exit 1; }
echo "update-plotly: $package $version" >&2
# npm pack checks the tarball against the registry's integrity hash
(cd "$work" && npm pack --silent "$package@$version" >/dev/null)
tar -xzf "$work/$package-$version.tgz" -C "$work" package/plotly-basic.min.js package/LICENSE
head -c 200 "$work/package/plotly-basic.min.js" | grep -q "plotly.js (basic - minified) v$version" \
  || { echo "update-plotly: the bundle does not name itself v$version" >&2; exit 1; }
mkdir -p "$vendor"
for name in plotly-basic.min.js LICENSE; do
  target="$vendor/${name/LICENSE/plotly-LICENSE.txt}"
  cp "$work/package/$name" "$target.tmp" && mv "$target.tmp" "$target"
done
printf '%s %s\n' "$package" "$version" > "$vendor/plotly-VERSION.txt.tmp"
mv "$vendor/plotly-VERSION.txt.tmp" "$vendor/plotly-VERSION.txt"
ls -l "$vendor" >&2
