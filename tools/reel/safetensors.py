"""safetensors without the package: 8-byte little-endian header length, a JSON header
{name: {dtype, shape, data_offsets: [begin, end]}} (offsets relative to the end of the header,
tensors packed in name order with no gaps), then the little-endian data. The header is padded
with spaces to a multiple of 8 bytes."""
import json
import struct

import numpy as np

DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32}
NAMES = {np.dtype(v): k for k, v in DTYPES.items()}


class FormatError(ValueError):
    pass


def write(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        if a.dtype not in NAMES:
            raise FormatError("tensor %s: unsupported dtype %s" % (name, a.dtype))
        raw = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": NAMES[a.dtype], "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read(path):
    """Returns ({name: array}, metadata), checking every header field against the file."""
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < 8:
        raise FormatError("%s: shorter than the 8-byte header length" % path)
    (n,) = struct.unpack("<Q", buf[:8])
    if 8 + n > len(buf):
        raise FormatError("%s: header length %d runs past the end of the file" % (path, n))
    header = json.loads(buf[8:8 + n].decode())
    data = memoryview(buf)[8 + n:]
    meta = header.pop("__metadata__", {})
    out, spans = {}, []
    for name, e in header.items():
        if e.get("dtype") not in DTYPES:
            raise FormatError("tensor %s: unknown dtype %r" % (name, e.get("dtype")))
        dt = np.dtype(DTYPES[e["dtype"]]).newbyteorder("<")
        shape = e["shape"]
        begin, end = e["data_offsets"]
        if any((not isinstance(s, int)) or s < 0 for s in shape):
            raise FormatError("tensor %s: bad shape %r" % (name, shape))
        if not 0 <= begin <= end <= len(data):
            raise FormatError("tensor %s: offsets %r outside the data (%d bytes)" % (name, [begin, end], len(data)))
        if end - begin != int(np.prod(shape)) * dt.itemsize:
            raise FormatError("tensor %s: %d bytes for shape %r of %s" % (name, end - begin, shape, e["dtype"]))
        out[name] = np.frombuffer(data[begin:end], dt).reshape(shape).astype(dt.newbyteorder("="))
        spans.append((begin, end, name))
    spans.sort()
    for (b0, e0, n0), (b1, e1, n1) in zip(spans, spans[1:]):
        if b1 < e0:
            raise FormatError("tensors %s and %s overlap" % (n0, n1))
    return out, meta
