#!/usr/bin/env bash
# Screenshots a themata report.html in headless Chromium and fails if the picture is blank.
#
# usage: tools/check_report_html.sh REPORT_HTML [OUT_PNG]
#
# Skips (exit 0) when /usr/bin/chromium is not installed. Exit 1 when the screenshot is missing
# or a single colour, 2 on bad usage. The page must render with networking off: Chromium runs
# with background networking, sync and component updates disabled and a throwaway profile.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: $0 REPORT_HTML [OUT_PNG]" >&2
    exit 2
fi
html=$1
if [[ ! -f $html ]]; then
    echo "$0: $html: no such file" >&2
    exit 2
fi
chromium=/usr/bin/chromium
if [[ ! -x $chromium ]]; then
    echo "$0: $chromium not found; skipping the screenshot check" >&2
    exit 0
fi

abs=$(cd "$(dirname "$html")" && pwd)/$(basename "$html")
profile=$(mktemp -d)
out=${2:-$(mktemp --suffix=.png)}
trap 'rm -rf "$profile"' EXIT

"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$profile" --screenshot="$out" --window-size=1280,2000 \
    "file://$abs" >/dev/null 2>&1 || true

if [[ ! -s $out ]]; then
    echo "$0: chromium wrote no screenshot for $html" >&2
    exit 1
fi

# Count distinct colours in the screenshot; a blank page has one.
colours=$(python3 - "$out" <<'PY'
import sys, zlib, struct

def pixels(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype = ihdr[:4]
    bpp = {2: 3, 6: 4, 0: 1, 4: 2}[ctype] * depth // 8
    raw = zlib.decompress(idat)
    stride, prev, out, i = w * bpp, bytearray(w * bpp), set(), 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], (prev[x - bpp] if x >= bpp else 0)
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        for x in range(0, stride, bpp * 7):
            out.add(bytes(line[x:x + bpp]))
        prev = line
        if len(out) > 64:
            break
    return len(out)

print(pixels(sys.argv[1]))
PY
)
if [[ $colours -le 1 ]]; then
    echo "$0: screenshot $out of $html is blank (one colour)" >&2
    exit 1
fi
echo "ok: $out ($colours+ colours)"
