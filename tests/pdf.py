"""Reading PDFs back in tests, with poppler's tools (Debian's poppler-utils, installed by
scripts/ensure-pdf.sh): the documents' tests and the browser's end-to-end flow."""

import shutil
import subprocess


def poppler(tool: str, *args: str, pdf: bytes) -> str:
    """The output of one of poppler's tools (Debian's poppler-utils) reading `pdf`."""
    path = shutil.which(tool)
    assert path, f"{tool} is missing: scripts/ensure-pdf.sh installs poppler-utils"
    result = subprocess.run(  # noqa: S603 (a fixed tool and fixed arguments)
        [path, *args], input=pdf, capture_output=True, check=True
    )
    return result.stdout.decode()


def pdf_text(pdf: bytes) -> str:
    """The text of a PDF as poppler reads it, in reading order, one table row a line."""
    return poppler("pdftotext", "-layout", "-enc", "UTF-8", "-", "-", pdf=pdf)


def pdf_fonts(pdf: bytes) -> list[dict]:
    """pdffonts' table: name, type and whether each font is embedded."""
    _header, _rule, *rows = poppler("pdffonts", "-", pdf=pdf).splitlines()
    fonts = []
    for row in rows:
        name, *_rest = row.split()
        # The columns after the name: type (1-2 words), encoding, emb, sub, uni, object ID.
        emb, sub, uni = row.split()[-5:-2]
        fonts.append({"name": name, "emb": emb, "sub": sub, "uni": uni})
    return fonts


def squeeze(text: str) -> str:
    """The text with runs of spaces made one, to match a table row."""
    return "\n".join(" ".join(line.split()) for line in text.splitlines())
