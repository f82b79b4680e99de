"""回执: the receipt of a submitted permit application, its PDF and the signed link its QR code opens.

The QR code holds an absolute /verify/{token} URL. The token names the application (id and
acceptance number, no personal data) and carries an HMAC-SHA256 under the secret key, so a forged
or altered receipt leads to "not genuine". The PDF uses ReportLab's built-in CJK font
(STSong-Light: no font file to ship or download), so the name stays extractable text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import re
from dataclasses import dataclass
from datetime import date

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import qrencoder
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from web.i18n import code_options
from web.i18n import gettext as _
from web.models import ApplicationKind, ApplicationState, Condition, PermitApplication
from web.services import rules
from web.services.clock import SHENZHEN
from web.services.identity import mask_id_number
from web.templating import long_date

FONT = "STSong-Light"  # one of the CID fonts every PDF reader has: nothing embedded
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
# Domain separation: this key use signs receipt links and nothing else.
TOKEN_PURPOSE = b"juzhu/receipt-verify/v1:"
TOKEN_MAX_LENGTH = 200
QR_LEVEL = "M"  # survives a crease or a smudge on a printed receipt (15% of the code)
QR_QUIET_ZONE = 4  # modules of white around the code, as the standard asks


@dataclass(frozen=True)
class Receipt:
    """What the receipt (web page and PDF) says."""

    application_id: int
    acceptance_number: str
    name: str
    masked_id_number: str
    kind: ApplicationKind
    condition: Condition
    point_name: str
    point_address: str
    point_hours: str
    submitted_on: date
    fee_yuan: int
    working_days: int  # the time limit from acceptance


@dataclass(frozen=True)
class TokenClaims:
    application_id: int
    acceptance_number: str


@dataclass(frozen=True)
class Verification:
    """What /verify shows of a genuine receipt: never the whole name nor the ID number."""

    acceptance_number: str
    masked_name: str
    state: ApplicationState
    point_name: str
    submitted_on: date | None


def mask_name(name: str) -> str:
    """李明 → 李*: the family name only, enough to match a receipt to the person holding it."""
    name = name.strip()
    return name[:1] + "*" * (len(name) - 1) if len(name) > 1 else "*" * len(name)


def _receipt(application: PermitApplication) -> Receipt:
    point = application.point
    submitted_at = application.submitted_at or application.created_at
    kind = ApplicationKind(application.kind)
    return Receipt(
        application_id=application.id,
        acceptance_number=application.acceptance_number or "",
        name=application.name,
        masked_id_number=mask_id_number(application.id_number),
        kind=kind,
        condition=Condition(application.condition),
        point_name=point.name if point else "",
        point_address=point.address if point else "",
        point_hours=point.hours if point else "",
        submitted_on=submitted_at.astimezone(SHENZHEN).date(),
        fee_yuan=application.fee_yuan,
        working_days=rules.TIME_LIMIT_WORKING_DAYS[kind],
    )


async def receipt_of(person_id: int, application_id: int) -> Receipt | None:
    """The receipt of one of the person's submitted applications; None for anyone else's."""
    application = await (
        PermitApplication.filter(id=application_id, person_id=person_id, acceptance_number__isnull=False)
        .exclude(state=ApplicationState.DRAFT)
        .select_related("point")
        .first()
    )
    return _receipt(application) if application else None


# --- The signed link of the QR code --------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(payload: bytes, secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), TOKEN_PURPOSE + payload, hashlib.sha256).digest()


def sign_token(application_id: int, acceptance_number: str, *, secret_key: str) -> str:
    """A URL-safe token naming the application: base64url(id:number) "." base64url(HMAC-SHA256)."""
    payload = f"{application_id}:{acceptance_number}".encode("ascii")
    return f"{_b64(payload)}.{_b64(_mac(payload, secret_key))}"


def verify_token(token: str, *, secret_key: str) -> TokenClaims | None:
    """The application a token names, or None when it was not signed with this key or was altered."""
    if len(token) > TOKEN_MAX_LENGTH or token.count(".") != 1 or not token.isascii():
        return None
    try:
        payload = _unb64(token.split(".", 1)[0])
        application_id, acceptance_number = payload.decode("ascii").split(":", 1)
        claims = TokenClaims(int(application_id), acceptance_number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    # Compare the whole canonical token, in constant time: base64 decoding forgives stray
    # characters, the comparison does not.
    expected = sign_token(claims.application_id, claims.acceptance_number, secret_key=secret_key)
    return claims if hmac.compare_digest(expected, token) else None


async def verified_receipt(token: str, *, secret_key: str) -> Verification | None:
    """What a genuine receipt's link shows; None for a forged, altered or unknown one."""
    claims = verify_token(token, secret_key=secret_key)
    if claims is None:
        return None
    application = await (
        PermitApplication.filter(id=claims.application_id, acceptance_number=claims.acceptance_number)
        .exclude(state=ApplicationState.DRAFT)
        .select_related("point")
        .first()
    )
    if application is None:
        return None
    return Verification(
        acceptance_number=claims.acceptance_number,
        masked_name=mask_name(application.name),
        state=ApplicationState(application.state),
        point_name=application.point.name if application.point else "",
        submitted_on=application.submitted_at.astimezone(SHENZHEN).date() if application.submitted_at else None,
    )


# --- Wording shared by the receipt page and the PDF ----------------------------------------------


def fee_text(receipt: Receipt) -> str:
    if receipt.fee_yuan == 0 and receipt.kind == ApplicationKind.FIRST:
        return _("Free: a first application costs nothing")
    if receipt.fee_yuan == 0:
        return _("Free")
    return _("%(yuan)s yuan, paid before the card is made") % {"yuan": receipt.fee_yuan}


def time_limit_text(receipt: Receipt) -> str:
    return _("Within %(days)s working days of acceptance") % {"days": receipt.working_days}


def bring_text() -> str:
    return _("Your resident identity card and this receipt")


def qr_svg_path(text: str) -> tuple[int, str]:
    """The QR code of `text` for an inline <svg>: its side in modules (quiet zone included) and one
    path of its dark modules, drawn from the same encoder as the PDF's code."""
    code = qrencoder.QRCode(None, getattr(qrencoder.QRErrorCorrectLevel, QR_LEVEL))
    code.addData(text)
    code.make()
    count = code.getModuleCount()
    parts = []
    for row in range(count):
        column = 0
        while column < count:
            if not code.isDark(row, column):
                column += 1
                continue
            run = 1
            while column + run < count and code.isDark(row, column + run):
                run += 1
            parts.append(f"M{column + QR_QUIET_ZONE} {row + QR_QUIET_ZONE}h{run}v1h-{run}z")
            column += run
    return count + 2 * QR_QUIET_ZONE, "".join(parts)


# --- The PDF ---------------------------------------------------------------------------------------


# A word of Latin letters (with the spaces after it), or any other single character: Chinese
# breaks between any two characters, English between words.
_WRAP_UNIT = re.compile(r"[\x21-\x7e]+ *| +|.")


def _wrap(text: str, size: float, width: float) -> list[str]:
    """Lines of `text` no wider than `width` points (a longer word, such as a URL, is cut)."""
    def fits(candidate: str) -> bool:
        return pdfmetrics.stringWidth(candidate.rstrip(), FONT, size) <= width

    lines, line = [], ""
    for unit in _WRAP_UNIT.findall(text):
        if fits(line + unit):
            line += unit
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = unit.lstrip()
        while not fits(line):  # one word wider than the line
            cut = next(i for i in range(len(line), 0, -1) if fits(line[:i]) or i == 1)
            lines.append(line[:cut])
            line = line[cut:]
    return [*lines, line.rstrip()] if line.strip() else lines or [""]


def render_pdf(receipt: Receipt, verify_url: str) -> bytes:
    """The receipt as a one-page A4 PDF in the visitor's language, with the QR code of `verify_url`."""
    kinds = dict(code_options(rules.APPLICATION_KINDS))
    conditions = dict(code_options(rules.PERMIT_CONDITIONS))
    buffer = io.BytesIO()
    title = _("Residence permit application receipt")
    pdf = Canvas(buffer, pagesize=A4, invariant=True)  # invariant: the same receipt, the same bytes
    pdf.setTitle(f"{title} {receipt.acceptance_number}")
    pdf.setAuthor(_("Residence Registration and Residence Permit Service"))
    page_width, page_height = A4
    left, right = 20 * mm, page_width - 20 * mm
    qr_size = 42 * mm
    y = page_height - 25 * mm

    pdf.setFont(FONT, 18)
    pdf.drawString(left, y, title)
    y -= 12 * mm
    pdf.setFont(FONT, 11)
    pdf.drawString(left, y, _("Acceptance number"))
    y -= 8 * mm
    pdf.setFont(FONT, 20)
    pdf.drawString(left, y, receipt.acceptance_number)

    # The QR code at the top right, its caption under it.
    widget = QrCodeWidget(verify_url, barLevel=QR_LEVEL)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(qr_size, qr_size, transform=[qr_size / (x1 - x0), 0, 0, qr_size / (y1 - y0), 0, 0])
    drawing.add(widget)
    qr_top = page_height - 18 * mm
    renderPDF.draw(drawing, pdf, right - qr_size, qr_top - qr_size)
    pdf.setFont(FONT, 8)
    for index, line in enumerate(_wrap(_("Scan to check that this receipt is genuine"), 8, qr_size)):
        pdf.drawString(right - qr_size, qr_top - qr_size - (4 + 3.5 * index) * mm, line)

    rows = [
        (_("Name"), receipt.name),
        (_("ID number"), receipt.masked_id_number),
        (_("Application"), kinds.get(receipt.kind, receipt.kind)),
        (_("Condition"), conditions.get(receipt.condition, receipt.condition)),
        (_("Submitted on"), long_date(receipt.submitted_on)),
        (_("Acceptance point"), receipt.point_name),
        (_("Address of the acceptance point"), receipt.point_address),
        (_("Opening hours"), receipt.point_hours),
        (_("What to bring"), bring_text()),
        (_("Time limit"), time_limit_text(receipt)),
        (_("Fee"), fee_text(receipt)),
    ]
    y = qr_top - qr_size - 16 * mm
    key_width, size, leading = 45 * mm, 11, 6 * mm
    for key, value in rows:
        pdf.setLineWidth(0.5)
        pdf.line(left, y + leading - 1.5 * mm, right, y + leading - 1.5 * mm)
        key_lines = _wrap(key, size, key_width - 3 * mm)
        value_lines = _wrap(value or "—", size, right - left - key_width)
        for index, line in enumerate(key_lines):
            pdf.setFont(FONT, size)
            pdf.drawString(left, y - index * leading, line)
        for index, line in enumerate(value_lines):
            pdf.drawString(left + key_width, y - index * leading, line)
        y -= leading * max(len(key_lines), len(value_lines)) + 2 * mm
    y -= 4 * mm
    pdf.setFont(FONT, 10)
    note = _("Bring your resident identity card and this receipt to the acceptance point: first to have the "
             "application accepted, then to collect the card. We send a text message when the card is ready.")
    for line in _wrap(note, 10, right - left):
        pdf.drawString(left, y, line)
        y -= 5 * mm
    pdf.setFont(FONT, 8)
    for index, line in enumerate(reversed(_wrap(verify_url, 8, right - left))):
        pdf.drawString(left, (15 + 3.5 * index) * mm, line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
