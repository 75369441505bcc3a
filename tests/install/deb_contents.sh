#!/usr/bin/env bash
# deb_contents.sh BUILD: `cpack -G DEB` of the build tree into a temporary
# directory; the package must hold what an installation holds, under /usr,
# and declare its dependencies. Installing it needs root: see README.md.
set -euo pipefail
build=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cpack -G DEB -B "$out" --config "$build/CPackConfig.cmake" >/dev/null
deb=$(echo "$out"/cratec_*.deb)
contents=$(dpkg-deb --contents "$deb")
status=0
for file in ./usr/bin/cratec ./usr/lib/libcratert.a ./usr/lib/libcratert.so ./usr/lib/libcratert_main.a \
            ./usr/include/cratec/cratert_abi.h ./usr/include/cratec/cratert_host.h \
            ./usr/lib/pkgconfig/cratert.pc ./usr/lib/cmake/cratec/cratecConfig.cmake \
            ./usr/share/cratec/examples/crate_tiny.crate; do
  grep -q " $file\( \|$\)" <<<"$contents" || { echo "deb_contents: $deb lacks $file" >&2; status=1; }
done
depends=$(dpkg-deb --field "$deb" Depends)
for package in libllvm19 libxsmm-dev gcc; do
  grep -qw "$package" <<<"$depends" || { echo "deb_contents: Depends lacks $package: $depends" >&2; status=1; }
done
exit $status
