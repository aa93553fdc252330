"""Draw the synthetic face that ``albumsum --selftest`` detects: resources/sample/selftest_face.png.

No photo goes into it (the album photos may not be redistributed), only flat shapes softened by a
blur, which MTCNN finds with a probability of about 0.96. The eye centres it draws are the
``SELFTEST_EYES`` that :mod:`albumsum.core.selftest` checks the detected landmarks against.

    python scripts/make_selftest_face.py [OUT.png]
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

SIZE = 320
HAIR, SKIN, SHADE = (60, 40, 25), (225, 175, 145), (215, 165, 135)


def draw_face() -> Image.Image:
    img = Image.new("RGB", (SIZE, SIZE), (170, 190, 210))
    d = ImageDraw.Draw(img)
    cx, cy, fw, fh = SIZE // 2, SIZE // 2 + 10, 110, 145
    d.ellipse([cx - fw * 1.05, cy - fh * 1.1, cx + fw * 1.05, cy + fh * 0.3], fill=HAIR)
    d.rectangle([cx - 35, cy + 90, cx + 35, cy + 200], fill=SHADE)  # neck
    d.ellipse([cx - 180, cy + 150, cx + 180, cy + 330], fill=(50, 80, 140))  # shoulders
    d.ellipse([cx - fw, cy - fh, cx + fw, cy + fh], fill=SKIN)
    for s in (-1, 1):
        d.ellipse([cx + s * fw - 12, cy - 25, cx + s * fw + 12, cy + 25], fill=SHADE)  # ears
    d.chord([cx - fw, cy - fh - 10, cx + fw, cy - 20], 180, 360, fill=HAIR)  # fringe
    for s in (-1, 1):
        ex, ey = cx + s * 42, cy - 20  # eye centres (118, 150) and (202, 150)
        d.line([ex - 24, ey - 24, ex, ey - 30, ex + 24, ey - 24], fill=(50, 35, 25), width=7)  # brow
        d.ellipse([ex - 20, ey - 9, ex + 20, ey + 9], fill=(245, 245, 240))
        d.ellipse([ex - 9, ey - 9, ex + 9, ey + 9], fill=(70, 45, 30))
        d.ellipse([ex - 4, ey - 4, ex + 4, ey + 4], fill=(10, 10, 10))
    d.polygon([(cx, cy - 10), (cx - 14, cy + 38), (cx + 14, cy + 38)], fill=(205, 150, 120))  # nose
    for s in (-1, 1):
        d.ellipse([cx + s * 10 - 6, cy + 32, cx + s * 10 + 6, cy + 42], fill=(150, 95, 80))  # nostrils
    d.chord([cx - 38, cy + 50, cx + 38, cy + 90], 0, 180, fill=(150, 60, 60))  # open smile
    d.line([cx - 38, cy + 70, cx + 38, cy + 70], fill=(120, 40, 40), width=3)
    return img.filter(ImageFilter.GaussianBlur(3))


if __name__ == "__main__":
    out = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).resolve().parents[1] / "resources/sample/selftest_face.png"
    )
    draw_face().save(out, optimize=True)
    print(out)
