#!/usr/bin/env bash
# CI packaging check: builds the .deb with `cargo deb` and the .rpm with `cargo generate-rpm` from
# the given, already-built binaries (no rebuild; the .deb uncompressed-fast, for speed), using the
# metadata in Cargo.toml ([package.metadata.deb], [package.metadata.generate-rpm]), and checks both:
# control fields / RPM header, the installed paths, that the packaged binaries run (`--version`), the
# desktop entry (desktop-file-validate), the AppStream metainfo (appstreamcli) and the MIME XML.
#
# Usage: .ci/package-check.sh BIN_DIR
#   BIN_DIR  folder holding the `mocap-studio` and `mocap` binaries (e.g. "$CARGO_TARGET_DIR/debug")
# Installs the pinned packaging tools with `cargo install --locked` when missing (about 1.5 min each).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
BIN_DIR=${1:?usage: $0 BIN_DIR}
CARGO_DEB_VERSION=3.6.0
CARGO_GENERATE_RPM_VERSION=0.16.1
for b in mocap-studio mocap; do
  [ -x "$BIN_DIR/$b" ] || { echo "package-check: $BIN_DIR/$b is missing (build it first)" >&2; exit 1; }
done
ensure_tool() { # crate version: the subcommand `cargo ${crate#cargo-}` at exactly that version
  local crate=$1 version=$2
  if ! "$crate" --version 2>/dev/null | grep -qF "$version"; then
    echo "package-check: installing $crate $version"
    cargo install --locked --quiet "$crate" --version "$version"
  fi
}
ensure_tool cargo-deb "$CARGO_DEB_VERSION"
ensure_tool cargo-generate-rpm "$CARGO_GENERATE_RPM_VERSION"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Both tools take binaries from target/release/ of the target dir: stage the given ones there,
# stripped (as a release package ships them), so a debug build packages the way a release one does.
mkdir -p "$work/target/release"
for b in mocap-studio mocap; do strip -o "$work/target/release/$b" "$BIN_DIR/$b"; done
export CARGO_TARGET_DIR="$work/target"

check_files() { # NAME ROOT: the installed files, the binaries run, the metadata validates
  local name=$1 x=$2
  for want in usr/bin/mocap-studio usr/bin/mocap \
    usr/share/applications/mocap-studio.desktop \
    usr/share/icons/hicolor/scalable/apps/mocap-studio.svg \
    usr/share/metainfo/org.mocapstudio.MocapStudio.metainfo.xml \
    usr/share/mime/packages/mocap-studio.xml; do
    [ -f "$x/$want" ] || { echo "package-check: /$want missing from the $name" >&2; exit 1; }
  done
  "$x/usr/bin/mocap" --version
  "$x/usr/bin/mocap-studio" --version
  desktop-file-validate "$x/usr/share/applications/mocap-studio.desktop"
  appstreamcli validate --no-net "$x/usr/share/metainfo/org.mocapstudio.MocapStudio.metainfo.xml"
  python3 - "$x/usr/share/mime/packages/mocap-studio.xml" "$x/usr/share/icons/hicolor/scalable/apps/mocap-studio.svg" <<'PY'
import sys
import xml.etree.ElementTree as ET
for path in sys.argv[1:]:
    ET.parse(path)  # well-formed XML or an exception
print("package-check: MIME and icon XML are well formed")
PY
}

# --- .deb (cargo deb) ---
deb=$(cd "$root" && cargo deb --no-build --fast --quiet -p mocap-studio -o "$work/out/")
deb=$(tail -1 <<<"$deb")
[ -f "$deb" ] || { echo "package-check: cargo deb wrote no package ($deb)" >&2; exit 1; }
echo "package-check: built $(basename "$deb") ($(du -h "$deb" | cut -f1))"
dpkg-deb --info "$deb"
dpkg-deb --field "$deb" Package Version Architecture Depends
for field in Package Version Architecture Depends Maintainer Description; do
  [ -n "$(dpkg-deb --field "$deb" "$field")" ] || { echo "package-check: .deb has no $field" >&2; exit 1; }
done
dpkg-deb --field "$deb" Depends | grep -q libvulkan1 || { echo "package-check: .deb Depends lacks libvulkan1" >&2; exit 1; }
deb_files=$(dpkg-deb --contents "$deb" | awk '{sub(/^\.\//, "", $6); print $6}')
grep -qx usr/bin/mocap-studio <<<"$deb_files" \
  || { echo "package-check: dpkg-deb --contents lists no ./usr/bin/mocap-studio" >&2; exit 1; }
dpkg-deb --extract "$deb" "$work/deb"
check_files .deb "$work/deb"
rm -rf "$work/deb" "$deb" # the disk a CI machine has is finite: keep one unpacked package at a time

# --- .rpm (cargo generate-rpm) ---
# Uncompressed payload: quick to write (zstd, the default a release keeps, takes minutes on 2 cores);
# the unpacked .deb is gone by now and the .rpm is removed once archived, to bound the disk used.
(cd "$root" && cargo generate-rpm --target-dir "$work/target" --payload-compress none -o "$work/out/")
rpm=$(ls "$work"/out/*.rpm)
echo "package-check: built $(basename "$rpm") ($(du -h "$rpm" | cut -f1))"
command -v rpm >/dev/null || { echo "package-check: rpm is missing (.ci/install-deps installs it)" >&2; exit 1; }
rpm -qip "$rpm"
rpm -qp --requires "$rpm"
rpm_files=$(rpm -qlp "$rpm")
grep -qx /usr/bin/mocap-studio <<<"$rpm_files" || { echo "package-check: rpm -qlp lists no /usr/bin/mocap-studio" >&2; exit 1; }
[ "$(rpm -qp --queryformat '%{NAME}' "$rpm")" = mocap-studio ] || { echo "package-check: RPM name is not mocap-studio" >&2; exit 1; }
# rpm2archive (not rpm2cpio, whose exit status is 1 on Debian's rpm 4.18 even when it succeeds).
mkdir -p "$work/rpm"
rpm2archive "$rpm" # writes $rpm.tgz
rm -f "$rpm"
tar -xzf "$rpm.tgz" -C "$work/rpm"
rm -f "$rpm.tgz"
check_files .rpm "$work/rpm"
echo "package-check: OK"
