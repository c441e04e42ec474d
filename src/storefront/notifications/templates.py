"""Notification texts rendered from the Jinja2 templates in this package's templates/ folder."""

from collections.abc import Mapping
from dataclasses import dataclass

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

_environment = Environment(
    loader=PackageLoader("storefront.notifications", "templates"),
    undefined=StrictUndefined,
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    trim_blocks=True,
    lstrip_blocks=True,
)


class UnknownTemplate(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"No notification template named {name!r}.")
        self.name = name


@dataclass(frozen=True)
class EmailContent:
    subject: str
    text: str
    html: str


def _template_names(folder: str, suffix: str) -> frozenset[str]:
    prefix = f"{folder}/"
    return frozenset(
        name.removeprefix(prefix).removesuffix(suffix)
        for name in _environment.list_templates()
        if name.startswith(prefix) and name.endswith(suffix)
    )


EMAIL_TEMPLATES = _template_names("email", ".subject.txt")
SMS_TEMPLATES = _template_names("sms", ".txt")


def _render(name: str, context: Mapping[str, object]) -> str:
    return _environment.get_template(name).render(context)


def render_email(template: str, context: Mapping[str, object]) -> EmailContent:
    if template not in EMAIL_TEMPLATES:
        raise UnknownTemplate(template)
    return EmailContent(
        subject=_render(f"email/{template}.subject.txt", context).strip(),
        text=_render(f"email/{template}.txt", context),
        html=_render(f"email/{template}.html", context),
    )


def render_sms(template: str, context: Mapping[str, object]) -> str:
    if template not in SMS_TEMPLATES:
        raise UnknownTemplate(template)
    return _render(f"sms/{template}.txt", context).strip()
