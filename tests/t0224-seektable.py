#!/usr/bin/env python3
"""Reads a bundle's seek table (zstd seekable format) on its own, for t0224.

  t0224-seektable.py frames BUNDLE   prints one line per frame: file offset,
                                     compressed size, decompressed offset, size
  t0224-seektable.py check BUNDLE    decompresses every frame alone with zstd -d,
                                     checks sizes (and XXH64 when libxxhash is
                                     there) against the table, and that every
                                     frame starts at a tar header or 4 MiB into
                                     an entry's data; prints the frame count
"""
import ctypes
import io
import struct
import subprocess
import sys
import tarfile

FRAME_MAX = 4 << 20


def table(path):
    data = open(path, "rb").read()
    count, desc, magic = struct.unpack("<IBI", data[-9:])
    assert magic == 0x8F92EAB1, "no seekable footer"
    size = 12 if desc & 0x80 else 8
    start = len(data) - (count * size + 9 + 8)
    head_magic, frame_size = struct.unpack("<II", data[start:start + 8])
    assert head_magic == 0x184D2A5E and frame_size == count * size + 9, "bad table header"
    rows, off, dec = [], 0, 0
    for i in range(count):
        c, d = struct.unpack("<II", data[start + 8 + i * size:start + 16 + i * size])
        x = struct.unpack("<I", data[start + 16 + i * size:start + 20 + i * size])[0] if size == 12 else None
        rows.append((off, c, dec, d, x))
        off += c
        dec += d
    assert off == start, "frames do not add up to the table's offset"
    return data, rows


def xxh64():
    try:
        lib = ctypes.CDLL("libxxhash.so.0")
    except OSError:
        return None
    lib.XXH64.restype = ctypes.c_uint64
    lib.XXH64.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint64]
    return lambda b: lib.XXH64(b, len(b), 0) & 0xFFFFFFFF


def check(path):
    data, rows = table(path)
    hasher = xxh64()
    tar = b""
    for off, c, dec, d, x in rows:
        out = subprocess.run(["zstd", "-q", "-d", "-c"], input=data[off:off + c],
                             stdout=subprocess.PIPE, check=True).stdout
        assert len(out) == d, "frame at %d: %d bytes, table says %d" % (off, len(out), d)
        if hasher is not None and x is not None:
            assert hasher(out) == x, "frame at %d: checksum differs" % off
        tar += out
    allowed = set()
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        members = t.getmembers()
        for m in members:
            allowed.add(m.offset)
            allowed.update(range(m.offset_data + FRAME_MAX, m.offset_data + m.size, FRAME_MAX))
    for off, c, dec, d, x in rows:
        assert dec in allowed, "frame at %d starts at tar offset %d, not an entry boundary" % (off, dec)
    print(len(rows))


if __name__ == "__main__":
    if sys.argv[1] == "frames":
        for row in table(sys.argv[2])[1]:
            print(*row[:4])
    else:
        check(sys.argv[2])
