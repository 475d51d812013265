#!/usr/bin/env bash
# Runs the benchmark from the archive scripts/pack-bench.sh makes, on a machine with no Node and no
# network; the pack carries its own node. Shipped at the root of the pack (webgrad-bench/).
#
# usage: run-packed-bench.sh [ARCHIVE.tar.xz] OUTDIR [--out=NAME] [--debs=DIR] [FILTER…]
#   ARCHIVE   extract this pack first (into a fresh folder under $TMPDIR or /tmp) and run from it;
#             without it, run from the pack this script sits in
#   OUTDIR    where bench/results/NAME.{json,md} and NAME.log (the console output) are copied
#   --out     results name (default: packed); with no FILTER every case runs (≈10 min on a slow GPU)
#   --debs    folder of .deb files (e.g. libvulkan1) unpacked into / with `dpkg -x`, then ldconfig, when
#             it exists and ldconfig knows no libvulkan.so.1 (default: .gl, from where this is called)
#   FILTER    bench/run.js filters: cases whose id contains one run (e.g. matmul/1024 train/)
# Exits with bench/run.js's status.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

archive=
if [ $# -gt 0 ] && [ -f "$1" ]; then archive=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); shift; fi
[ $# -gt 0 ] || { sed -n '5,14p' "${BASH_SOURCE[0]}" >&2; exit 2; }
mkdir -p "$1" && outdir=$(cd "$1" && pwd) || exit 2
shift
name=packed debs=$PWD/.gl args=()
for a in "$@"; do
  case $a in
    --out=*) name=${a#--out=} ;;
    --debs=*) debs=$(cd "${a#--debs=}" 2>/dev/null && pwd || echo "${a#--debs=}") ;;
    *) args+=("$a") ;;
  esac
done

if [ -n "$archive" ]; then
  dest=$(mktemp -d "${TMPDIR:-/tmp}/webgrad-bench.XXXXXX")
  echo "run-packed-bench: extracting $archive into $dest"
  if command -v xz >/dev/null; then
    tar -xJf "$archive" -C "$dest" || exit 1
  elif command -v python3 >/dev/null; then   # no xz program: Python's lzma
    python3 -c 'import sys, tarfile; t = tarfile.open(sys.argv[1]); t.extractall(sys.argv[2], **({"filter": "tar"} if hasattr(tarfile, "tar_filter") else {}))' "$archive" "$dest" || exit 1
  else
    echo "run-packed-bench: neither xz nor python3 here to unpack $archive" >&2; exit 1
  fi
  pack=$dest/webgrad-bench
else
  pack=$here
fi
[ -x "$pack/node" ] && [ -f "$pack/bench/run.js" ] || { echo "run-packed-bench: $pack is not a pack (no node, bench/run.js): give the archive" >&2; exit 1; }

# The Vulkan loader, if the machine lacks it (Dawn needs libvulkan.so.1 to see the GPU).
ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)
if [ -d "$debs" ] && ls "$debs"/*.deb >/dev/null 2>&1; then
  if "$ldconfig" -p 2>/dev/null | grep -q 'libvulkan\.so\.1 '; then
    echo "run-packed-bench: libvulkan.so.1 already installed, $debs left alone"
  else
    echo "run-packed-bench: unpacking $debs/*.deb into /"
    for f in "$debs"/*.deb; do dpkg -x "$f" / || exit 1; done
    "$ldconfig"
  fi
fi

cd "$pack" || exit 1
unset NODE_OPTIONS NODE_PATH   # nothing from outside the pack
rm -f "bench/results/$name.json" "bench/results/$name.md"
log=$outdir/$name.log
{ cat PACKED.txt 2>/dev/null; echo "run: ./node bench/run.js --out=$name ${args[*]}"; } | tee "$log"
./node bench/run.js --out="$name" "${args[@]}" 2>&1 | tee -a "$log"
rc=${PIPESTATUS[0]}
for ext in json md; do
  if [ -f "bench/results/$name.$ext" ]; then cp "bench/results/$name.$ext" "$outdir/"; else echo "run-packed-bench: no bench/results/$name.$ext" >&2; fi
done
echo "run-packed-bench: exit $rc; results in $outdir"
exit "$rc"
