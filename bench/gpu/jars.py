#!/usr/bin/env python3
"""Rewrites a jar (or a folder of classes) for the GPU bundle (bench/gpu/pack).

  jars.py SRC DST [--drop GLOB ...] [--same-as DIR]

SRC is a jar or a folder; DST is written as a jar whose entries are STORED, not
deflated: the bundle is one tar.xz, and xz shrinks native libraries to about half
of what deflate does (libopenblas.so.0: 10.9 MB deflated, 4.7 MB in xz).
--drop leaves out entries matching a glob (fnmatch, on the entry's path);
--same-as leaves out entries whose bytes equal the file of the same path under DIR:
that folder travels in the git working tree anyway and goes on the class path
instead. Prints one line: entries kept and dropped, bytes kept."""
import argparse
import fnmatch
import os
import sys
import zipfile


def entries(src):
    if os.path.isdir(src):
        for base, dirs, files in os.walk(src):
            dirs.sort()
            for f in sorted(files):
                path = os.path.join(base, f)
                with open(path, "rb") as fh:
                    yield os.path.relpath(path, src).replace(os.sep, "/"), fh.read()
        return
    with zipfile.ZipFile(src) as z:
        for info in z.infolist():
            if not info.is_dir():
                yield info.filename, z.read(info)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--drop", action="append", default=[])
    ap.add_argument("--same-as")
    a = ap.parse_args()
    kept = dropped = size = 0
    with zipfile.ZipFile(a.dst, "w", zipfile.ZIP_STORED) as out:
        for name, data in entries(a.src):
            if any(fnmatch.fnmatch(name, g) for g in a.drop):
                dropped += 1
                continue
            if a.same_as:
                twin = os.path.join(a.same_as, name)
                if os.path.isfile(twin) and os.path.getsize(twin) == len(data):
                    with open(twin, "rb") as fh:
                        if fh.read() == data:
                            dropped += 1
                            continue
            out.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data)
            kept += 1
            size += len(data)
    print("%s: %d entries kept (%.1f MB), %d dropped" % (os.path.basename(a.dst), kept, size / 1e6, dropped))
    return 0


if __name__ == "__main__":
    sys.exit(main())
