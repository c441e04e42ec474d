"""Every notification template renders, refuses a missing variable and escapes HTML."""

import pytest
from jinja2 import UndefinedError

from storefront.notifications.templates import (
    EMAIL_TEMPLATES,
    SMS_TEMPLATES,
    UnknownTemplate,
    render_email,
    render_sms,
)

EMAIL_CONTEXTS: dict[str, dict[str, object]] = {
    "email_otp": {"username": "ann", "code": "482913", "expires_minutes": 10},
    "welcome": {"username": "ann"},
    "password_reset": {"username": "ann", "code": "771204", "expires_minutes": 15},
    "contact_changed": {"username": "ann", "changed": "email address"},
    "order_confirmation": {
        "username": "ann",
        "order_id": "ORD-42",
        "items": [
            {"name": "Desk lamp", "quantity": 2, "unit_price": "649.50", "line_total": "1299.00"},
            {"name": "Bulb", "quantity": 1, "unit_price": "25.00", "line_total": "25.00"},
        ],
        "total": "1324.00",
        "currency": "SEK",
    },
    "payment_receipt": {
        "username": "ann",
        "order_id": "ORD-42",
        "payment_id": "PAY-7",
        "amount": "1324.00",
        "currency": "SEK",
        "paid_at": "2025-03-01 14:05 UTC",
    },
    "refund_notice": {
        "username": "ann",
        "order_id": "ORD-42",
        "payment_id": "PAY-7",
        "refund_id": "RF-3",
        "amount": "300.00",
        "currency": "SEK",
    },
    "order_status_change": {
        "username": "ann",
        "order_id": "ORD-42",
        "status": "shipped",
        "tracking_number": "TRK-9",
    },
}

SMS_CONTEXTS: dict[str, dict[str, object]] = {
    "mobile_otp": {"code": "482913", "expires_minutes": 10},
    "password_reset": {"code": "771204", "expires_minutes": 15},
    "order_status_change": {"order_id": "ORD-42", "status": "shipped", "tracking_number": "TRK-9"},
}

# What the recipient must read in each message, whatever the wording around it.
EMAIL_ESSENTIALS = {
    "email_otp": ["482913", "10 minutes"],
    "welcome": ["Storefront"],
    "password_reset": ["771204", "15 minutes"],
    "contact_changed": ["email address", "If you did not make this change"],
    "order_confirmation": ["ORD-42", "Desk lamp", "649.50 SEK", "1299.00 SEK", "1324.00 SEK"],
    "payment_receipt": ["ORD-42", "PAY-7", "1324.00 SEK", "2025-03-01 14:05 UTC"],
    "refund_notice": ["ORD-42", "PAY-7", "RF-3", "300.00 SEK"],
    "order_status_change": ["ORD-42", "shipped", "TRK-9"],
}
SMS_ESSENTIALS = {
    "mobile_otp": ["482913", "10 minutes"],
    "password_reset": ["771204", "15 minutes"],
    "order_status_change": ["ORD-42", "shipped", "TRK-9"],
}


def test_the_template_lists_name_every_template() -> None:
    assert EMAIL_CONTEXTS.keys() == EMAIL_TEMPLATES
    assert SMS_CONTEXTS.keys() == SMS_TEMPLATES


@pytest.mark.parametrize("template", sorted(EMAIL_CONTEXTS))
def test_email_renders_subject_text_and_html(template: str) -> None:
    content = render_email(template, EMAIL_CONTEXTS[template])

    assert content.subject
    assert "\n" not in content.subject
    assert content.text.startswith("Hello ann,")
    assert "<p>Hello ann,</p>" in content.html
    for essential in EMAIL_ESSENTIALS[template]:
        assert essential in content.text
        assert essential in content.html


@pytest.mark.parametrize("template", sorted(SMS_CONTEXTS))
def test_sms_renders_one_short_line(template: str) -> None:
    body = render_sms(template, SMS_CONTEXTS[template])

    assert body.startswith("Storefront: ")
    assert "\n" not in body
    assert len(body) <= 160  # one SMS segment
    for essential in SMS_ESSENTIALS[template]:
        assert essential in body


def test_order_confirmation_lists_every_item() -> None:
    content = render_email("order_confirmation", EMAIL_CONTEXTS["order_confirmation"])

    assert "- 2 x Desk lamp at 649.50 SEK each: 1299.00 SEK" in content.text
    assert "- 1 x Bulb at 25.00 SEK each: 25.00 SEK" in content.text
    assert content.html.count("<tr>") == 4  # header, two items, total


@pytest.mark.parametrize(
    ("template", "variable"),
    [(template, variable) for template, context in EMAIL_CONTEXTS.items() for variable in context],
)
def test_email_with_a_missing_variable_is_refused(template: str, variable: str) -> None:
    context = {k: v for k, v in EMAIL_CONTEXTS[template].items() if k != variable}

    with pytest.raises(UndefinedError, match=variable):
        render_email(template, context)


@pytest.mark.parametrize(
    ("template", "variable"),
    [(template, variable) for template, context in SMS_CONTEXTS.items() for variable in context],
)
def test_sms_with_a_missing_variable_is_refused(template: str, variable: str) -> None:
    context = {k: v for k, v in SMS_CONTEXTS[template].items() if k != variable}

    with pytest.raises(UndefinedError, match=variable):
        render_sms(template, context)


def test_an_item_missing_a_field_is_refused() -> None:
    context = dict(EMAIL_CONTEXTS["order_confirmation"])
    context["items"] = [{"name": "Bulb", "quantity": 1, "unit_price": "25.00"}]

    with pytest.raises(UndefinedError):
        render_email("order_confirmation", context)


def test_html_escapes_the_username_and_text_keeps_it_verbatim() -> None:
    content = render_email("welcome", {"username": "<script>alert(1)</script>"})

    assert "<script>" not in content.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content.html
    assert content.text.startswith("Hello <script>alert(1)</script>,")


def test_an_unknown_template_is_refused() -> None:
    with pytest.raises(UnknownTemplate) as email_error:
        render_email("newsletter", {"username": "ann"})
    with pytest.raises(UnknownTemplate) as sms_error:
        render_sms("welcome", {})

    assert email_error.value.name == "newsletter"
    assert sms_error.value.name == "welcome"
    assert isinstance(email_error.value, ValueError)
