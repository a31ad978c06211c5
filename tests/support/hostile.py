"""Hostile landing files shared by the unit and reliability tests."""

from __future__ import annotations

import zipfile
from pathlib import Path


def xlsx_zip_bomb(path: Path, rows: int) -> None:
    """An XLSX whose one sheet holds ``rows`` data rows (+ a header), written in pieces so the
    test never holds it in memory: about 5 MB on disk, 45 MB inflated for a million rows. Its
    ``<dimension>`` lies (A1:B2), as a crafted file may."""
    import openpyxl

    openpyxl.Workbook().save(path)  # the workbook parts; the sheet is replaced below
    with zipfile.ZipFile(path) as src:
        parts = {n: src.read(n) for n in src.namelist() if n != "xl/worksheets/sheet1.xml"}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
        with zf.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                        b'<dimension ref="A1:B2"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>contact_id'
                        b'</t></is></c><c r="B1" t="inlineStr"><is><t>full_name</t></is></c></row>')
            block = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, 7) for i in range(2, 10_002))
            for _ in range(rows // 10_000):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")
