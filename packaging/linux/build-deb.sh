#!/usr/bin/env bash
# Builds a Debian package of Mocap Studio from already-built binaries.
#
# Usage: packaging/linux/build-deb.sh BIN_DIR OUT_DIR [--fast]
#   BIN_DIR  folder holding the `mocap-studio` and `mocap` binaries
#            (e.g. "$CARGO_TARGET_DIR/release" after `cargo build --release -p mocap-studio -p mocap-cli`)
#   OUT_DIR  where mocap-studio_VERSION_ARCH.deb is written
#   --fast   no compression (CI's packaging check; a release package uses xz)
#
# Installs: /usr/bin/{mocap-studio,mocap} (stripped), the desktop entry, the icon (SVG), the
# AppStream metainfo, and MIME types for .c3d/.bvh/.asf/.amc/.trc. Install with
# `sudo apt install ./mocap-studio_*.deb` (pulls the Vulkan loader and drivers, X11/Wayland
# libraries and fonts listed below).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BIN_DIR=${1:?usage: $0 BIN_DIR OUT_DIR [--fast]}
OUT_DIR=${2:?usage: $0 BIN_DIR OUT_DIR [--fast]}
compress=(-Zxz)
[ "${3:-}" = "--fast" ] && compress=(-Znone)

for b in mocap-studio mocap; do
  [ -x "$BIN_DIR/$b" ] || { echo "build-deb: $BIN_DIR/$b is missing (build it first)" >&2; exit 1; }
done
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -1)
[ -n "$version" ] || { echo "build-deb: no [workspace.package] version in Cargo.toml" >&2; exit 1; }
arch=$(dpkg --print-architecture)

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pkg="$stage/mocap-studio_${version}_${arch}"
install -d "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/usr/share/applications" \
  "$pkg/usr/share/icons/hicolor/scalable/apps" "$pkg/usr/share/metainfo" \
  "$pkg/usr/share/mime/packages" "$pkg/usr/share/doc/mocap-studio"
install -m 0755 -s "$BIN_DIR/mocap-studio" "$BIN_DIR/mocap" "$pkg/usr/bin/"
install -m 0644 "$here/mocap-studio.desktop" "$pkg/usr/share/applications/"
install -m 0644 "$here/mocap-studio.svg" "$pkg/usr/share/icons/hicolor/scalable/apps/"
install -m 0644 "$here/org.mocapstudio.MocapStudio.metainfo.xml" "$pkg/usr/share/metainfo/"
install -m 0644 "$here/mocap-studio-mime.xml" "$pkg/usr/share/mime/packages/mocap-studio.xml"
install -m 0644 "$root/README.md" "$pkg/usr/share/doc/mocap-studio/"
size_kb=$(du -sk "$pkg/usr" | cut -f1)
cat >"$pkg/DEBIAN/control" <<CONTROL
Package: mocap-studio
Version: $version
Architecture: $arch
Maintainer: Mocap Studio developers <dev@example.invalid>
Installed-Size: $size_kb
Depends: libc6, libgcc-s1, libvulkan1, mesa-vulkan-drivers | vulkan-icd, libxkbcommon0, libwayland-client0 | libx11-6
Recommends: fonts-noto-core, fonts-noto-cjk, libasound2, xdg-desktop-portal
Section: graphics
Priority: optional
Homepage: https://example.invalid/mocap-studio
Description: motion capture review, solving, clean-up and delivery
 Mocap Studio opens C3D, BVH and ASF/AMC takes, solves markers onto skeletons,
 cleans up gaps, swaps and jitter with a non-destructive operation stack, plays
 performances on glTF characters, and keeps a take library with review notes,
 approvals and subtitle tracks. Includes the headless mocap pipeline tool.
CONTROL
# Desktop and MIME databases are refreshed by dpkg triggers (desktop-file-utils, shared-mime-info).
mkdir -p "$OUT_DIR"
out="$OUT_DIR/mocap-studio_${version}_${arch}.deb"
dpkg-deb --root-owner-group "${compress[@]}" --build "$pkg" "$out" >/dev/null
echo "$out"
