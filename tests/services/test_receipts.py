"""回执: receipt data, the signed verify link, the PDF with its text and QR code read back."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pypdf
import pypdfium2
import pytest
import zxingcpp
from PIL import Image, ImageDraw

from tests.housing import YUEHAI, make_person, point_of
from tests.permits import a_submitted_application
from web.models import ApplicationKind, ApplicationState, Condition
from web.services import receipts
from web.services.receipts import Receipt, mask_name, sign_token, verify_token

KEY = "receipt-test-key-" + "k" * 32
VERIFY_URL = "http://testserver.local/verify/"


def a_receipt(**values: object) -> Receipt:
    fields: dict[str, object] = {
        "application_id": 42, "acceptance_number": "SZ20260316000042", "name": "欧阳明",
        "masked_id_number": "4301**********0011", "kind": ApplicationKind.FIRST,
        "condition": Condition.RESIDENCE_AND_INSURANCE, "point_name": "粤海街道居住证受理点",
        "point_address": "深圳市南山区粤海街道科技园社区服务中心一楼大厅" * 2, "point_hours": "周一至周五 9:00-12:00, 14:00-18:00",
        "submitted_on": date(2026, 3, 16), "fee_yuan": 0, "working_days": 15,
    }
    fields.update(values)
    return Receipt(**fields)  # type: ignore[arg-type]


def decode_qr(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


# --- receipt data ---------------------------------------------------------------------------------


async def test_the_receipt_of_my_application(db: None) -> None:
    person = await make_person("李明")
    point = await point_of(YUEHAI)
    application = await a_submitted_application(person, point, submitted_at=datetime(2026, 3, 16, 17, tzinfo=UTC))
    receipt = await receipts.receipt_of(person.id, application.id)
    assert receipt is not None
    assert (receipt.name, receipt.acceptance_number) == ("李明", application.acceptance_number)
    assert receipt.masked_id_number == person.id_number[:4] + "*" * 10 + person.id_number[-4:]
    assert (receipt.point_name, receipt.point_address, receipt.point_hours) == (point.name, point.address, point.hours)
    assert receipt.submitted_on == date(2026, 3, 17)  # 01:00 on the 17th in Shenzhen
    assert (receipt.kind, receipt.fee_yuan, receipt.working_days) == (ApplicationKind.FIRST, 0, 15)


async def test_no_receipt_of_someone_elses_application_or_a_draft(db: None) -> None:
    person = await make_person("李明")
    application = await a_submitted_application(person)
    other = await make_person("王芳")
    assert await receipts.receipt_of(other.id, application.id) is None
    draft = await a_submitted_application(other, state=ApplicationState.DRAFT, acceptance_number=None)
    assert await receipts.receipt_of(other.id, draft.id) is None


@pytest.mark.parametrize(("name", "masked"), [("李明", "李*"), ("欧阳娜娜", "欧***"), ("王", "*"), ("", "")])
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


# --- the signed token ------------------------------------------------------------------------------


def test_a_token_round_trips_and_carries_nothing_personal() -> None:
    token = sign_token(42, "SZ20260316000042", secret_key=KEY)
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}", token)  # URL-safe, no padding
    claims = verify_token(token, secret_key=KEY)
    assert claims == receipts.TokenClaims(application_id=42, acceptance_number="SZ20260316000042")


def tampered(token: str) -> list[str]:
    payload, mac = token.split(".")
    flip = {"A": "B"}.get(mac[5], "A")
    forged_payload = sign_token(43, "SZ20260316000042", secret_key=KEY).split(".")[0]
    return [
        f"{payload}.{mac[:5]}{flip}{mac[6:]}",  # one character of the MAC changed
        f"{forged_payload}.{mac}",  # another application under this MAC
        f"{payload}.{mac}=",  # padding added: not the canonical token
        f"{payload}.{mac[:-1]}",  # shortened
        f"{payload}{mac}",  # no separator
        f"{payload}.{mac}.{mac}",
        "", ".", "not-a-token", "é.é", "x" * 500,
    ]


def test_a_tampered_or_foreign_token_is_refused() -> None:
    token = sign_token(42, "SZ20260316000042", secret_key=KEY)
    for bad in tampered(token):
        assert verify_token(bad, secret_key=KEY) is None, bad
    assert verify_token(token, secret_key="another-key-" + "z" * 32) is None


async def test_verified_receipt_masks_the_name(db: None) -> None:
    person = await make_person("李明")
    point = await point_of(YUEHAI)
    application = await a_submitted_application(person, point)
    token = sign_token(application.id, application.acceptance_number or "", secret_key=KEY)
    verification = await receipts.verified_receipt(token, secret_key=KEY)
    assert verification == receipts.Verification(
        acceptance_number=application.acceptance_number or "", masked_name="李*",
        state=ApplicationState.SUBMITTED, point_name=point.name, submitted_on=date(2026, 3, 16),
    )
    # a genuine signature over a number the application does not have, and an unknown application
    assert await receipts.verified_receipt(sign_token(application.id, "SZ20260316999999", secret_key=KEY),
                                           secret_key=KEY) is None
    assert await receipts.verified_receipt(sign_token(999999, "SZ20260316000042", secret_key=KEY),
                                           secret_key=KEY) is None
    assert await receipts.verified_receipt(token + "x", secret_key=KEY) is None


# --- the PDF and the QR codes ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [ApplicationKind.FIRST, ApplicationKind.REPLACEMENT])
def test_the_pdf_has_the_name_and_number_as_text_and_a_qr_code_of_the_verify_url(kind: ApplicationKind) -> None:
    verify_url = VERIFY_URL + sign_token(42, "SZ20260316000042", secret_key=KEY)
    data = receipts.render_pdf(a_receipt(kind=kind, fee_yuan=20 if kind != ApplicationKind.FIRST else 0), verify_url)
    assert data.startswith(b"%PDF-")
    text = pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "欧阳明" in text and "SZ20260316000042" in text
    assert "4301**********0011" in text
    assert "居民身份证" in text  # what to bring
    assert ("首次申领免费" if kind == ApplicationKind.FIRST else "20元") in text
    document = pypdfium2.PdfDocument(data)
    try:
        image = document[0].render(scale=2).to_pil()
    finally:
        document.close()
    assert decode_qr(image) == [verify_url]


def test_the_same_receipt_gives_the_same_pdf() -> None:
    assert receipts.render_pdf(a_receipt(), VERIFY_URL + "t") == receipts.render_pdf(a_receipt(), VERIFY_URL + "t")


def test_the_svg_qr_code_of_the_receipt_page_decodes_to_the_url() -> None:
    url = VERIFY_URL + sign_token(7, "SZ20260316000007", secret_key=KEY)
    side, path = receipts.qr_svg_path(url)
    scale = 8
    image = Image.new("L", (side * scale, side * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y, run in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\3z", path):
        left, top = int(x) * scale, int(y) * scale
        draw.rectangle([left, top, left + int(run) * scale - 1, top + scale - 1], fill=0)
    assert decode_qr(image) == [url]
