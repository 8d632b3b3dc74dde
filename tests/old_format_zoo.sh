#!/bin/sh
# Rewrites a synth zoo in HDF5's pre-1.8 format (superblock 0, no metadata checksums: what h5py
# and HDF5 write by default) as OLD.h5, and copies it to FLIPPED.h5 with the version byte of the
# root attribute synth_planted_r2's header message flipped: HDF5 1.10.8 crashed iterating the root's
# attributes (a segmentation fault in H5A__close) where zoolens reads its numeric attributes.
# usage: old_format_zoo.sh ZOO.h5 OLD.h5 FLIPPED.h5   (exits 77 without h5repack, from hdf5-tools)
set -u
command -v h5repack >/dev/null ||
  { echo "SKIP: h5repack not found (apt-get install hdf5-tools)"; exit 77; }
byte() { od -An -tu1 -j"$2" -N1 "$1" | tr -d ' '; }
# Default bounds: each object in the earliest format that can hold it.
h5repack "$1" "$2" || exit 1
[ "$(byte "$2" 8)" = 0 ] || { echo "$2: superblock version $(byte "$2" 8), expected 0"; exit 1; }
# A version 1 attribute message: version, reserved, name, datatype and dataspace sizes, the name.
name=$(grep -obaF synth_planted_r2 "$2" | head -n 1 | cut -d: -f1)
[ -n "$name" ] && at=$((name - 8)) && [ "$(byte "$2" $at)" = 1 ] ||
  { echo "$2: no version 1 attribute message synth_planted_r2"; exit 1; }
cp "$2" "$3" || exit 1
printf '\376' | dd of="$3" bs=1 seek=$at conv=notrunc 2>/dev/null || exit 1
echo "$3: byte $at flipped (0x01 -> 0xfe)"
