#!/usr/bin/env bash
# CI packaging check: builds the .deb from the given binaries (uncompressed, for speed) and checks
# it: control fields, the installed paths, the stripped binaries run (`--version`), the desktop
# entry (desktop-file-validate), the AppStream metainfo (appstreamcli) and the MIME XML.
#
# Usage: .ci/package-check.sh BIN_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
BIN_DIR=${1:?usage: $0 BIN_DIR}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
deb=$(bash "$root/packaging/linux/build-deb.sh" "$BIN_DIR" "$work" --fast)
echo "package-check: built $(basename "$deb") ($(du -h "$deb" | cut -f1))"
dpkg-deb --field "$deb" Package Version Architecture Depends
contents=$(dpkg-deb --contents "$deb" | awk '{print $6}')
for want in ./usr/bin/mocap-studio ./usr/bin/mocap \
  ./usr/share/applications/mocap-studio.desktop \
  ./usr/share/icons/hicolor/scalable/apps/mocap-studio.svg \
  ./usr/share/metainfo/org.mocapstudio.MocapStudio.metainfo.xml \
  ./usr/share/mime/packages/mocap-studio.xml; do
  grep -qx "$want" <<<"$contents" || { echo "package-check: $want missing from the package" >&2; exit 1; }
done
dpkg-deb --extract "$deb" "$work/x"
"$work/x/usr/bin/mocap" --version
"$work/x/usr/bin/mocap-studio" --version
desktop-file-validate "$work/x/usr/share/applications/mocap-studio.desktop"
appstreamcli validate --no-net "$work/x/usr/share/metainfo/org.mocapstudio.MocapStudio.metainfo.xml"
python3 - "$work/x/usr/share/mime/packages/mocap-studio.xml" "$work/x/usr/share/icons/hicolor/scalable/apps/mocap-studio.svg" <<'PY'
import sys
import xml.etree.ElementTree as ET
for path in sys.argv[1:]:
    ET.parse(path)  # well-formed XML or an exception
print("package-check: MIME and icon XML are well formed")
PY
echo "package-check: OK"
