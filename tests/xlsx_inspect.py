"""Reading a written .xlsx at the XML level (not through openpyxl's values): cell types, formulas, styles,
headers and footers, sheet visibility."""

import io
import re
import zipfile
from xml.etree import ElementTree

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


class Sheet:
    def __init__(self, name, state, xml, cells):
        self.name, self.state, self.xml, self.cells = name, state, xml, cells


class Book:
    """cells: {sheet name: {"A1": (type, value text, has_formula, quote_prefix)}}"""

    def __init__(self, content: bytes):
        self.zip = zipfile.ZipFile(io.BytesIO(content))
        names = self.zip.namelist()
        shared = []
        if "xl/sharedStrings.xml" in names:
            root = ElementTree.fromstring(self.zip.read("xl/sharedStrings.xml"))
            for si in root.findall("m:si", NS):
                shared.append("".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")))
        styles = ElementTree.fromstring(self.zip.read("xl/styles.xml"))
        xfs = styles.find("m:cellXfs", NS).findall("m:xf", NS)
        self.quote_styles = {i for i, xf in enumerate(xfs) if xf.get("quotePrefix") == "1"}
        workbook = ElementTree.fromstring(self.zip.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(self.zip.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels}
        self.sheets = {}
        for sheet in workbook.find("m:sheets", NS):
            target = targets[sheet.get(f"{{{R_NS}}}id")].lstrip("/")
            path = target if target.startswith("xl/") else "xl/" + target
            xml = self.zip.read(path).decode()
            cells = {}
            for c in ElementTree.fromstring(xml).iter(f"{{{NS['m']}}}c"):
                kind = c.get("t", "n")
                formula = c.find("m:f", NS) is not None
                if kind == "inlineStr":
                    value = "".join(t.text or "" for t in c.iter(f"{{{NS['m']}}}t"))
                else:
                    v = c.find("m:v", NS)
                    value = v.text if v is not None else None
                    if kind == "s" and value is not None:
                        value = shared[int(value)]
                cells[c.get("r")] = (kind, value, formula, int(c.get("s", "0")) in self.quote_styles)
            self.sheets[sheet.get("name")] = Sheet(
                sheet.get("name"), sheet.get("state", "visible"), xml, cells
            )

    def any_formula(self) -> bool:
        return any(re.search(r"<(?:\w+:)?f[\s>/]", s.xml) for s in self.sheets.values())

    def text_cells(self, value: str):
        """Every cell holding exactly `value`, as (sheet, ref, type, quote_prefix)."""
        return [
            (name, ref, kind, quoted)
            for name, sheet in self.sheets.items()
            for ref, (kind, v, _, quoted) in sheet.cells.items()
            if v == value
        ]
