"""Code 128 barcodes of receipt codes (回执码) for the acceptance certificate, so that the university's
handheld scanner reads the code instead of an officer typing it. python-barcode encodes (start code,
code set switching, checksum); the SVG is drawn here, inline and without style attributes (the
Content-Security-Policy forbids inline styles), bars merged into one <rect> each, crisp when printed."""

import logging

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# python-barcode announces at import that Pillow (image output) is missing: SVG is all we draw.
logging.getLogger("pyBarcode").setLevel(logging.WARNING)

from barcode import Code128  # noqa: E402

QUIET_ZONE = 10  # modules of white either side (Code 128 asks for at least 10)


def code128_modules(value: str) -> str:
    """The bar pattern of `value` as "1" (bar) / "0" (space) modules, quiet zones excluded."""
    return Code128(value).build()[0]


def code128_svg(value: str, *, height: int = 40, label: str = "") -> SafeString:
    """An inline SVG of `value` in Code 128, scaled by its viewBox (width set by CSS)."""
    modules = code128_modules(value)
    rects = []
    index = 0
    while index < len(modules):
        if modules[index] == "1":
            start = index
            while index < len(modules) and modules[index] == "1":
                index += 1
            rects.append(f'<rect x="{start + QUIET_ZONE}" y="0" width="{index - start}" height="{height}"/>')
        else:
            index += 1
    width = len(modules) + 2 * QUIET_ZONE
    title = escape(label or value)
    return mark_safe(  # noqa: S308 - every interpolated value is escaped or an integer
        f'<svg class="barcode" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'preserveAspectRatio="none" shape-rendering="crispEdges" role="img" aria-label="条形码 {title}" '
        f'data-code="{escape(value)}"><title>{title}</title>{"".join(rects)}</svg>'
    )
