"""Documents the knowledge tests write: Markdown, HTML and PDF files made on the spot."""

from __future__ import annotations

from pathlib import Path

AIR = """# Compressed air handbook

Compressed air costs about ten times its energy at the tool.

## Leak survey

### Ultrasonic detector
Walk the distribution ring with an ultrasonic leak detector during a quiet weekend period and
tag each hissing coupling, hose and fitting with a numbered label.

## Condensate drains
A timer drain set too long blows compressed air to atmosphere; replace it with a level-sensing
zero-loss drain.
"""

CHILLER = """# Chiller care

## Condenser fouling
A fouled condenser raises the refrigerant condensing pressure; the approach temperature grows
and the chiller's kW per ton of cooling worsens. Brush the condenser tubes every season.

## Low delta-T
Chilled-water return that comes back barely warmer than supply means bypassed coils or open
three-way valves.
"""


def pdf_bytes(pages: list[str], *, title: str | None = None) -> bytes:
    """A small valid PDF with one line of Helvetica text per page (byte offsets computed)."""
    objects: list[bytes] = []
    count = len(pages)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(count))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode())
    font = 3 + 2 * count
    for i, text in enumerate(pages):
        page_obj, content_obj = 3 + 2 * i, 4 + 2 * i
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content_obj} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode()
        )
        assert page_obj == len(objects)
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET".encode()
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    info = None
    if title:
        objects.append(f"<< /Title ({title}) >>".encode())
        info = len(objects)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    trailer = f"<< /Size {len(objects) + 1} /Root 1 0 R"
    trailer += f" /Info {info} 0 R >>" if info else " >>"
    out += f"trailer\n{trailer}\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def write_library(folder: Path) -> Path:
    """A folder with two Markdown documents and a two-page PDF manual."""
    (folder / "runbooks").mkdir(parents=True, exist_ok=True)
    (folder / "runbooks" / "air.md").write_text(AIR)
    (folder / "runbooks" / "chiller.md").write_text(CHILLER)
    (folder / "boiler-manual.pdf").write_bytes(
        pdf_bytes(
            [
                "Boiler manual. Burner start sequence: purge, ignition, flame proving.",
                "Short cycling: the boiler fires more than six times an hour at low load.",
            ],
            title="Boiler manual",
        )
    )
    return folder
