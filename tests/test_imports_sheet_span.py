"""The quick bound of a worksheet's used range (loanportal.imports.checks._canonical_sheet_span) never
disagrees with the exact scan (_SheetScan, every element followed): issue 9's checks made before parsing
(a sheet spanning too many cells is refused before calamine allocates its grid)."""

from xml.parsers import expat

from hypothesis import given, settings
from hypothesis import strategies as st

from loanportal.imports import checks

SHEET = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<cols><col min="1" max="3" width="12"/></cols><sheetData>{rows}</sheetData></worksheet>'
)
# Ways a cell's start tag may be written: canonical (the quick path) and others (the exact scan).
TAGS = [
    '<c r="{ref}" t="inlineStr"><is><t>x</t></is></c>',
    '<c r="{ref}"><v>1</v></c>',
    '<c r="{ref}"/>',
    '<c\tr="{ref}"><v>1</v></c>',
    "<c s='0' r='{ref}'><v>1</v></c>",
    '<x:c xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="{ref}"><x:v>1</x:v></x:c>',
    "<c><v>1</v></c>",
]


def exact_span(xml: bytes) -> tuple[int, int]:
    scan = checks._SheetScan()
    parser = expat.ParserCreate()
    parser.StartElementHandler = scan.start
    parser.Parse(xml, True)
    return (scan.height, scan.width)


cells = st.tuples(
    st.integers(min_value=1, max_value=1_048_576),
    st.integers(min_value=1, max_value=16_384),
    st.integers(min_value=0, max_value=len(TAGS) - 1),
)


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.lists(cells, max_size=6), max_size=8))
def test_issue9_quick_sheet_span_is_none_or_the_exact_span(rows):
    body = "".join(
        f'<row r="{number}">'
        + "".join(TAGS[tag].format(ref=f"{checks._column_letters(col)}{row}") for row, col, tag in row_cells)
        + "</row>"
        for number, row_cells in enumerate(rows, start=1)
    )
    xml = SHEET.format(rows=body).encode()
    quick = checks._canonical_sheet_span(xml)
    exact = exact_span(xml)
    uses_other_tags = any(tag >= 3 for row_cells in rows for _, _, tag in row_cells)
    if uses_other_tags:
        assert quick is None
    else:
        assert quick == exact


def test_issue9_a_formula_or_an_odd_cell_tag_takes_the_exact_scan():
    plain = SHEET.format(rows='<row r="1"><c r="B3"><v>1</v></c></row>')
    assert checks._canonical_sheet_span(plain.encode()) == (3, 2)
    for odd in ("<f>1+1</f>", "<c/>", "<c>\n</c>", "<x:f>1</x:f>", "<c\r\nr='A1'/>"):
        xml = plain.replace("<v>1</v>", f'<v>1</v></c>{odd}<c r="A1">')
        assert checks._canonical_sheet_span(xml.encode()) is None, odd
