"""Reading frames for the evaluator: a video file (through an ffmpeg executable on PATH), a
folder of PNG or PPM frames (sorted by name), or a .npy array [T, H, W, 3] (floats in [0, 1],
or uint8 bytes, read as byte / 255)."""
import os
import shutil
import struct
import subprocess
import zlib

import numpy as np


def read_png(path):
    with open(path, "rb") as f:
        buf = f.read()
    if buf[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(path + ": not a PNG")
    pos, idat, w = 8, [], None
    while pos < len(buf):
        (n,) = struct.unpack(">I", buf[pos:pos + 4])
        kind = buf[pos + 4:pos + 8]
        body = buf[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise ValueError(path + ": only 8-bit RGB/RGBA non-interlaced PNG is read")
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + n
    ch = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = w * ch
    img = np.zeros((h, stride), np.int32)
    prev = np.zeros(stride, np.int32)
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int32)
        cur = np.zeros(stride, np.int32)
        for x in range(stride):
            a = cur[x - ch] if x >= ch else 0
            b = prev[x]
            c = prev[x - ch] if x >= ch else 0
            if ft == 0:
                p = 0
            elif ft == 1:
                p = a
            elif ft == 2:
                p = b
            elif ft == 3:
                p = (a + b) // 2
            else:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            cur[x] = (line[x] + p) & 255
        img[y] = cur
        prev = cur
    return img.reshape(h, w, ch)[..., :3].astype(np.float64) / 255.0


def write_png(path, rgb):
    """rgb: [H, W, 3] floats in [0, 1]."""
    a = (np.clip(rgb, 0, 1) * 255 + 0.5).astype(np.uint8)
    h, w, _ = a.shape
    raw = b"".join(b"\x00" + a[y].tobytes() for y in range(h))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def read_ppm(path):
    with open(path, "rb") as f:
        buf = f.read()
    parts = buf.split(maxsplit=4)
    if parts[0] != b"P6":
        raise ValueError(path + ": only binary P6 PPM is read")
    w, h, mx = int(parts[1]), int(parts[2]), int(parts[3])
    data = parts[4][: w * h * 3]
    return np.frombuffer(data, np.uint8).reshape(h, w, 3).astype(np.float64) / mx


def read_video(path):
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise RuntimeError("reading %s needs an ffmpeg executable on PATH" % path)
    probe = subprocess.run([exe, "-i", path], capture_output=True, text=True).stderr
    import re
    m = re.search(r"Video:.*?(\d{2,5})x(\d{2,5})", probe)
    if not m:
        raise ValueError("%s: no video stream found" % path)
    w, h = int(m.group(1)), int(m.group(2))
    raw = subprocess.run([exe, "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3).astype(np.float64) / 255.0


def read_frames(path):
    if os.path.isdir(path):
        names = sorted(n for n in os.listdir(path) if n.lower().endswith((".png", ".ppm")))
        if not names:
            raise ValueError("%s: no .png or .ppm frames" % path)
        return np.stack([read_png(os.path.join(path, n)) if n.lower().endswith(".png")
                         else read_ppm(os.path.join(path, n)) for n in names])
    if path.endswith(".npy"):
        a = np.load(path)
        return a.astype(np.float64) / 255.0 if a.dtype == np.uint8 else a
    return read_video(path)
