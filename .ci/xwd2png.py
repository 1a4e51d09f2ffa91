"""Stdlib-only converter of an `xwd -root` dump (ZPixmap, 24/32 bits per pixel) to an RGB PNG.

Usage: python3 xwd2png.py IN.xwd OUT.png
"""
import struct
import sys
import zlib


def read_xwd(path):
    """Returns (width, height, rows) with rows a list of bytes objects of RGB triples."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 100:
        sys.exit(f"{path}: too short for an XWD header")
    h = struct.unpack(">25I", data[:100])
    header_size, version, fmt, _depth, width, height = h[:6]
    byte_order, bpp, bpl = h[7], h[11], h[12]
    masks, ncolors = h[14:17], h[19]
    if version != 7 or fmt != 2 or bpp not in (24, 32):
        sys.exit(f"{path}: unsupported XWD (version {version}, format {fmt}, {bpp} bits per pixel)")
    start = header_size + 12 * ncolors
    if len(data) < start + bpl * height:
        sys.exit(f"{path}: truncated image data")
    shifts = [(m & -m).bit_length() - 1 for m in masks]
    step = bpp // 8
    order = "<" if byte_order == 0 else ">"
    rows = []
    for y in range(height):
        line = data[start + y * bpl:start + y * bpl + width * step]
        if step == 4:
            vals = struct.unpack(f"{order}{width}I", line)
        else:
            vals = [int.from_bytes(line[i:i + 3], "little" if byte_order == 0 else "big") for i in range(0, len(line), 3)]
        out = bytearray()
        for v in vals:
            out += bytes(((v & m) >> s) & 0xFF for m, s in zip(masks, shifts))
        rows.append(bytes(out))
    return width, height, rows


def write_png(path, width, height, rows):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    raw = b"".join(b"\x00" + r for r in rows)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 6)))
        f.write(chunk(b"IEND", b""))


if __name__ == "__main__":
    w, h, rows = read_xwd(sys.argv[1])
    write_png(sys.argv[2], w, h, rows)
    print(f"xwd2png: {sys.argv[2]} ({w}x{h})")
