#!/usr/bin/env bash
# update-kern-ux.sh [VERSION]
#
# Vendors the KERN UX design system (npm package @kern-ux/native) into
# internal/web/static/vendor/kern-ux/. Only what ozgo serves is copied:
#
#   kern.min.css                  minified stylesheet
#   fonts/fira-sans.css           @font-face rules for Fira Sans
#   fonts/fira-sans/*.woff2       only the fonts that the stylesheets reference
#   LICENSE.md                    the package's licence (EUPL-1.2)
#   VERSION                       line 1: version, line 2: npm integrity (sha512)
#   README.md                     provenance and update instructions
#
# Every file that the vendored stylesheets reference through url(...) or
# @import (apart from data: URIs) is vendored too, at the same path relative
# to the package's dist/ folder, so the relative references keep working.
# The copied files are byte-for-byte unmodified.
#
# The script is idempotent: running it twice with the same version yields the
# same tree. It needs node, npm and tar, and reaches only the npm registry.

set -euo pipefail

readonly PKG="@kern-ux/native"
readonly DEFAULT_VERSION="2.7.2"
VERSION="${1:-$DEFAULT_VERSION}"

if [[ $# -gt 1 || "$VERSION" == -* ]]; then
	echo "usage: $0 [VERSION]   (default: $DEFAULT_VERSION)" >&2
	exit 2
fi
if ! [[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]]; then
	echo "error: '$VERSION' is not an exact version (e.g. $DEFAULT_VERSION)" >&2
	exit 2
fi

for tool in node npm tar; do
	command -v "$tool" >/dev/null 2>&1 || { echo "error: '$tool' is required" >&2; exit 1; }
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly ROOT
readonly DEST_REL="internal/web/static/vendor/kern-ux"
readonly DEST="$ROOT/$DEST_REL"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/kern-ux.XXXXXX")"
STAGE="$DEST.new.$$"
cleanup() { rm -rf -- "$WORK" "$STAGE"; }
trap cleanup EXIT

log() { printf '%s\n' "$*" >&2; }

# 1. Expected integrity, straight from the registry.
log "==> npm view $PKG@$VERSION dist.integrity"
INTEGRITY="$(npm view "$PKG@$VERSION" dist.integrity)"
INTEGRITY="${INTEGRITY//[[:space:]]/}"
if ! [[ "$INTEGRITY" =~ ^sha512-[A-Za-z0-9+/]+=*$ ]]; then
	echo "error: unexpected integrity for $PKG@$VERSION: '$INTEGRITY'" >&2
	exit 1
fi

# 2. Fetch the tarball and check it against that integrity.
log "==> npm pack $PKG@$VERSION"
(cd "$WORK" && npm pack --ignore-scripts --loglevel=warn --pack-destination "$WORK" "$PKG@$VERSION" >/dev/null)
shopt -s nullglob
tarballs=("$WORK"/*.tgz)
shopt -u nullglob
if [[ ${#tarballs[@]} -ne 1 ]]; then
	echo "error: expected exactly one tarball from npm pack, got ${#tarballs[@]}" >&2
	exit 1
fi
TARBALL="${tarballs[0]}"
ACTUAL="sha512-$(node -e '
	const fs = require("node:fs"), crypto = require("node:crypto");
	process.stdout.write(crypto.createHash("sha512").update(fs.readFileSync(process.argv[1])).digest("base64"));
' "$TARBALL")"
if [[ "$ACTUAL" != "$INTEGRITY" ]]; then
	echo "error: tarball integrity mismatch" >&2
	echo "  registry: $INTEGRITY" >&2
	echo "  tarball:  $ACTUAL" >&2
	exit 1
fi

mkdir -p "$WORK/x"
tar -xzf "$TARBALL" -C "$WORK/x"
PKGDIR="$WORK/x/package"
DIST="$PKGDIR/dist"

# 3. Sanity checks on the package metadata.
META="$(node -e '
	const p = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
	const who = (x) => typeof x === "string" ? x : [x.name, x.email && `<${x.email}>`, x.url && `(${x.url})`].filter(Boolean).join(" ");
	console.log(p.name);
	console.log(p.version);
	console.log(p.license);
	console.log(p.author ? who(p.author) : "");
	for (const c of p.contributors || []) console.log(who(c));
' "$PKGDIR/package.json")"
mapfile -t meta_lines <<<"$META"
if [[ "${meta_lines[0]}" != "$PKG" || "${meta_lines[1]}" != "$VERSION" ]]; then
	echo "error: tarball contains ${meta_lines[0]}@${meta_lines[1]}, expected $PKG@$VERSION" >&2
	exit 1
fi
LICENSE_ID="${meta_lines[2]}"
AUTHOR="${meta_lines[3]}"
CONTRIBUTORS=("${meta_lines[@]:4}")
if [[ "$LICENSE_ID" != "EUPL-1.2" ]]; then
	log "warning: licence changed to '$LICENSE_ID' (was EUPL-1.2); review before committing"
fi
for f in "$DIST/kern.min.css" "$DIST/fonts/fira-sans.css" "$PKGDIR/LICENSE.md"; do
	[[ -f "$f" ]] || { echo "error: package lacks ${f#"$PKGDIR"/}" >&2; exit 1; }
done

# 4. Collect files: the two entry stylesheets plus everything they reference.
# css_refs FILE prints each url(...) / @import target that is not a data: URI,
# without quotes, query string or fragment, one per line.
css_refs() {
	node -e '
		const css = require("node:fs").readFileSync(process.argv[1], "utf8")
			.replace(/\/\*[\s\S]*?\*\//g, "");
		const refs = new Set();
		const re = /url\(\s*(?:"([^"]*)"|\x27([^\x27]*)\x27|([^)\s]*))\s*\)|@import\s+(?:"([^"]*)"|\x27([^\x27]*)\x27)/gi;
		for (const m of css.matchAll(re)) {
			const ref = (m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5] ?? "").trim();
			if (ref === "" || /^data:/i.test(ref) || ref.startsWith("#")) continue;
			refs.add(ref.replace(/[?#].*$/, ""));
		}
		for (const r of [...refs].sort()) console.log(r);
	' "$1"
}

declare -A seen=()
queue=("kern.min.css" "fonts/fira-sans.css")
files=()
while [[ ${#queue[@]} -gt 0 ]]; do
	rel="${queue[0]}"
	queue=("${queue[@]:1}")
	[[ -n "${seen[$rel]:-}" ]] && continue
	seen[$rel]=1
	src="$DIST/$rel"
	[[ -f "$src" ]] || { echo "error: referenced file dist/$rel is missing from the package" >&2; exit 1; }
	files+=("$rel")
	[[ "$rel" == *.css ]] || continue
	while IFS= read -r ref; do
		[[ -n "$ref" ]] || continue
		if [[ "$ref" =~ ^([A-Za-z][A-Za-z0-9+.-]*:|//|/) ]]; then
			echo "error: dist/$rel references '$ref', which cannot be vendored (absolute/external URL)" >&2
			exit 1
		fi
		# Resolve relative to the referencing file, then make it relative to dist/.
		resolved="$(cd "$(dirname "$src")" && realpath -m --relative-to="$DIST" -- "$ref")"
		if [[ "$resolved" == ../* || "$resolved" == ".." ]]; then
			echo "error: dist/$rel references '$ref', which lies outside dist/" >&2
			exit 1
		fi
		queue+=("$resolved")
	done < <(css_refs "$src")
done

# 5. Build the new tree next to the destination, then swap it in.
rm -rf -- "$STAGE"
mkdir -p "$STAGE"
mapfile -t files < <(printf '%s\n' "${files[@]}" | LC_ALL=C sort)
for rel in "${files[@]}"; do
	install -D -m 0644 -- "$DIST/$rel" "$STAGE/$rel"
done
install -m 0644 -- "$PKGDIR/LICENSE.md" "$STAGE/LICENSE.md"
printf '%s\n%s\n' "$VERSION" "$INTEGRITY" >"$STAGE/VERSION"

{
	cat <<EOF
# KERN UX design system (vendored)

This folder holds an unmodified subset of the npm package
[\`$PKG\`](https://www.npmjs.com/package/$PKG) version **$VERSION**,
the CSS reference implementation of [KERN](https://www.kern-ux.de), the open
UX standard for the German public administration.

- Package: \`$PKG@$VERSION\`
- Tarball integrity (npm \`dist.integrity\`, checked on download):
  \`$INTEGRITY\`
- Source: https://gitlab.opencode.de/kern-ux/kern-ux-plain

## Licence

KERN UX is licensed under the **$LICENSE_ID** (European Union Public Licence
v. 1.2); the full text is in [LICENSE.md](LICENSE.md), copied from the package.

© KERN-UX / Dataport and contributors, as named in the package:

EOF
	if [[ -n "$AUTHOR" ]]; then
		printf -- '- %s (author)\n' "$AUTHOR"
	fi
	for c in "${CONTRIBUTORS[@]}"; do
		if [[ -n "$c" ]]; then
			printf -- '- %s\n' "$c"
		fi
	done
	cat <<'EOF'

The Fira Sans font files (`fonts/fira-sans/*.woff2`) are shipped inside the
package. Their embedded metadata names "Digitized data copyright © 2012-2015,
The Mozilla Foundation and Telefonica S.A." (design: Carrois Corporate &
Edenspiekermann AG) and the licence "SIL Open Font License, version 1.1"
(checked for version 2.7.2; re-check when updating).

## Contents

All files are byte-for-byte as published in the package's `dist/` folder (file
modes normalised to 0644); nothing is edited, only a subset is kept:

EOF
	for rel in "${files[@]}"; do
		printf -- '- `%s`\n' "$rel"
	done
	cat <<'EOF'
- `LICENSE.md`: the package's licence
- `VERSION`: line 1 the package version, line 2 the tarball's sha512 integrity
- `README.md`: this file (generated)

Only the fonts that `fonts/fira-sans.css` references are kept, and every file
that the stylesheets reference through `url(...)` is vendored (the icons in
`kern.min.css` are inline `data:` URIs). Web pages link:

```html
<link rel="stylesheet" href="/static/vendor/kern-ux/fonts/fira-sans.css">
<link rel="stylesheet" href="/static/vendor/kern-ux/kern.min.css">
```

## Updating

Do not edit these files by hand. Regenerate the whole folder with

```sh
scripts/update-kern-ux.sh [VERSION]
```

which downloads the package with `npm pack`, checks it against the registry's
integrity, and replaces this folder. Without an argument it installs the
version pinned in the script. Review the diff (especially `LICENSE.md`)
before committing.
EOF
} >"$STAGE/README.md"

rm -rf -- "$DEST"
mkdir -p "$(dirname "$DEST")"
mv -- "$STAGE" "$DEST"

log "==> vendored $PKG@$VERSION into $DEST_REL:"
(cd "$DEST" && find . -type f | LC_ALL=C sort | sed 's|^\./|    |') >&2
