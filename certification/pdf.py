"""The certificate as an A4 landscape PDF in Chinese, with a QR code to the verification page.
Generated on demand and cached on disk (never during issuance)."""

import io
import json
import os
from functools import lru_cache
from pathlib import Path

import segno
from django.conf import settings
from django.utils import timezone
from reportlab.lib.colors import HexColor, black, white
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from registry.levels import Level

from .models import Certificate, Series

# Debian's fonts-wqy-zenhei (TrueType, embedded as a subset). Without it, reportlab's built-in
# Adobe CID font STSong-Light is used: not embedded, rendered by the viewer's own CJK font.
FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
]


@lru_cache(maxsize=1)
def font_name() -> str:
    for path in FONT_CANDIDATES:
        if os.path.exists(path):
            pdfmetrics.registerFont(TTFont("WQY", path, subfontIndex=0))
            return "WQY"
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def verification_url(certificate: Certificate) -> str:
    return f"{settings.PUBLIC_BASE_URL}/v/{certificate.verification_code}"


# Bump when what a certificate's PDF shows changes.
LAYOUT = "v2"


def cache_path(certificate: Certificate) -> Path:
    state = "revoked" if certificate.is_revoked else "valid"
    # A reissue prints a new version: its count in the name, so a render that started before
    # the reissue committed can never be served in its place.
    reissues = certificate.reissues.count()
    suffix = f"-r{reissues}" if reissues else ""
    # LAYOUT names what the page shows: a PDF cached by an earlier layout (the old mask of the ID
    # number, no 发证机关) is never served after an upgrade.
    return Path(settings.MEDIA_ROOT) / "certificates" / f"{certificate.number}-{state}{suffix}-{LAYOUT}.pdf"


def replace_cached(certificate: Certificate) -> bytes:
    """After a reissue: drop the cached versions of the certificate and cache the new one."""
    for old in (Path(settings.MEDIA_ROOT) / "certificates").glob(f"{certificate.number}-*.pdf"):
        old.unlink(missing_ok=True)
    return certificate_pdf(certificate)


def issuer_name(certificate: Certificate) -> str:
    """发证机关 as signed in the credential: the regulator for qualification and special-ability
    certificates, the institution itself for skill levels (谁评价、谁发证)."""
    try:
        return json.loads(certificate.credential)["issuer"]["name"]
    except (ValueError, KeyError, TypeError):
        return certificate.institution.name


def certificate_pdf(certificate: Certificate) -> bytes:
    """The PDF, from the cache when it is there."""
    path = cache_path(certificate)
    if path.exists():
        return path.read_bytes()
    data = render(certificate)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)  # atomic: a concurrent reader never sees half a file
    return data


def render(certificate: Certificate) -> bytes:
    font = font_name()
    width, height = landscape(A4)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(width, height))
    pdf.setTitle(f"{Series(certificate.evaluation_type).label} {certificate.number}")
    pdf.setAuthor(str(certificate.institution.name))
    pdf.setStrokeColor(HexColor("#9c1c1c"))
    pdf.setLineWidth(6)
    pdf.rect(24, 24, width - 48, height - 48)
    pdf.setLineWidth(1.5)
    pdf.rect(36, 36, width - 72, height - 72)

    pdf.setFillColor(HexColor("#9c1c1c"))
    pdf.setFont(font, 34)
    pdf.drawCentredString(width / 2, height - 110, str(Series(certificate.evaluation_type).label))
    pdf.setFillColor(black)

    level = str(Level(certificate.level).label) if certificate.level is not None else "—"
    rows = [
        ("姓　　名", certificate.person.name),
        ("证件号码", certificate.person.document_masked),
        ("职业（工种）", f"{certificate.occupation.name}（{certificate.occupation.code}）"),
        ("等　　级", level),
        ("评价机构", certificate.institution.name),
        ("证书编号", certificate.number),
        ("发证日期", certificate.issued_on.strftime("%Y年%m月%d日")),
    ]
    issuer = issuer_name(certificate)
    if issuer != certificate.institution.name:  # docs/domain.md: the regulator issues, the institution assessed
        rows.insert(5, ("发证机关", issuer))
    reissue = certificate.reissues.order_by("-reissued_on", "-id").first()
    if reissue is not None:  # docs/domain.md: the reissue is printed on the certificate
        rows.append(("补发日期", reissue.reissued_on.strftime("%Y年%m月%d日")))
    if reissue is not None and not certificate.is_revoked:  # the revocation notice takes this line
        pdf.setFillColor(HexColor("#9c1c1c"))
        pdf.setFont(font, 16)
        pdf.drawCentredString(width / 2, height - 140, f"（补发 {reissue.reissued_on:%Y-%m-%d}）")
        pdf.setFillColor(black)
    y = height - 175
    step = 38 if len(rows) <= 7 else 32
    for label, value in rows:
        pdf.setFont(font, 15)
        pdf.drawString(110, y, f"{label}：")
        pdf.setFont(font, 17)
        pdf.drawString(230, y, value)
        y -= step

    _draw_qr(pdf, verification_url(certificate), x=width - 250, y=95, size=150)
    pdf.setFont(font, 10)
    pdf.drawCentredString(width - 175, 80, "扫码查验证书真伪")
    pdf.drawString(110, 80, f"查验：{settings.PUBLIC_BASE_URL}/verify/")

    if certificate.is_revoked:
        revoked_on = timezone.localtime(certificate.revoked_at).date()
        pdf.setFillColor(HexColor("#cc0000"))
        pdf.setFont(font, 16)
        pdf.drawCentredString(width / 2, height - 140, f"本证书已于 {revoked_on:%Y-%m-%d} 撤销")
        pdf.saveState()
        pdf.setFillColor(HexColor("#cc0000"))
        pdf.setFont(font, 60)
        pdf.translate(width / 2, height / 2)
        pdf.rotate(20)
        pdf.drawCentredString(0, 0, "已撤销")
        pdf.restoreState()
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _draw_qr(pdf: canvas.Canvas, url: str, *, x: float, y: float, size: float) -> None:
    """The QR code as vector squares (faster and smaller than an embedded image)."""
    matrix = segno.make(url, error="m", micro=False).matrix
    modules = len(matrix) + 8  # quiet zone of 4 modules
    cell = size / modules
    pdf.setFillColor(white)
    pdf.rect(x, y, size, size, stroke=0, fill=1)
    pdf.setFillColor(black)
    for row, line in enumerate(matrix):
        for col, dark in enumerate(line):
            if dark:
                pdf.rect(x + (col + 4) * cell, y + size - (row + 5) * cell, cell, cell, stroke=0, fill=1)
