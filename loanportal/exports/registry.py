"""The export definitions (导出定义): what each spreadsheet holds, for whom, from which selector.

Each definition is named after the form people already use, lists its columns with Chinese headers and
a kind (how the value is written: text, number, money, date, ID number, phone), scopes its rows with the
requester's selector, and says whether it holds personal data (then it needs a manager's approval).
Apps add their forms with `register()` (loanportal.exports.definitions holds the first ones).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

# Column kinds. ID numbers and phones are text cells (Excel keeps 15 digits; the last may be X) and masked
# unless the approval covers full numbers.
TEXT, INTEGER, MONEY, DATE, DATETIME, ID_NUMBER, PHONE, BOOLEAN = (
    "text",
    "integer",
    "money",
    "date",
    "datetime",
    "id_number",
    "phone",
    "boolean",
)
KINDS = frozenset({TEXT, INTEGER, MONEY, DATE, DATETIME, ID_NUMBER, PHONE, BOOLEAN})


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = TEXT
    width: int = 14

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass(frozen=True)
class ExportDefinition:
    """One spreadsheet the portal offers.

    `rows(user=, params=)` returns the scoped rows (tuples in column order; a queryset's values_list is
    streamed from a server-side cursor) for the filters in `params` — the list page's own GET parameters,
    cleaned with that page's filter form. `count(user=, params=)` returns how many rows that will be.
    `describe(params)` says in Chinese, with labels, what the filters select ("预申请依据：建档立卡贫困户；
    贷款年度：2026"); it is shown to the requester and the approver and written on the file's info sheet.
    `freeze(user=, params=)` returns the params with everything that would otherwise be read when the file
    is written (today's date, the default site, the newest row) fixed at request time, so the file holds
    the rows the approver saw counted.
    """

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: Callable[..., Iterable[tuple]]
    count: Callable[..., int]
    roles: frozenset[str]
    personal: bool = True
    page: str = ""  # URL name of the page the export belongs to
    describe: Callable[[dict], str] = field(default=lambda params: "")
    # A form laid out like the paper one (title row, merged header, totals, signature lines) instead of a
    # flat list: layout(book, sheet, *, user, params, full_numbers) writes it into the SafeWorkbook's first
    # sheet and returns the number of data rows; ID numbers and phones are masked unless full_numbers (the
    # approval covers them), as in the flat list. The writer still adds the watermark and info sheet.
    layout: Callable[..., int] | None = None
    freeze: Callable[..., dict] | None = None
    # A spreadsheet the portal hands out itself (an import's error report to its uploader) rather than one a
    # user asks for: not offered on the request page or the API (`definitions_all` leaves it out), made by
    # its own service through the same request, watermark, audit and download path.
    requestable: bool = True
    # Why a request of this kind needs no manager's approval although it holds personal data ("" = it does).
    approval_exempt: str = ""

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    @property
    def has_numbers(self) -> bool:
        """Whether the sheet has ID-number or phone columns (masked by default)."""
        return any(c.kind in (ID_NUMBER, PHONE) for c in self.columns)

    @property
    def needs_approval(self) -> bool:
        return self.personal and not self.approval_exempt

    @property
    def no_approval_reason(self) -> str:
        """The audit reason of an approval nobody had to give."""
        return (
            f"{self.approval_exempt}，无需审批"
            if self.approval_exempt
            else "汇总表（不含个人信息），无需审批"
        )

    @property
    def no_approval_label(self) -> str:
        """The approver line of the watermark when nobody had to approve."""
        return f"无需审批（{self.approval_exempt or '汇总表'}）"

    def frozen(self, *, user, params: dict) -> dict:
        return self.freeze(user=user, params=params) if self.freeze is not None else params

    def summary(self, params: dict) -> str:
        """The Chinese description of the filter; "全部" when there is none."""
        return (self.describe(params) or "").strip() or "全部（本人权限范围内）"

    def allowed(self, user) -> bool:
        return bool(getattr(user, "is_authenticated", False)) and user.is_active and user.role in self.roles


_definitions: dict[str, ExportDefinition] = {}


def register(definition: ExportDefinition) -> ExportDefinition:
    _definitions[definition.name] = definition
    return definition


def definition_get(name: str) -> ExportDefinition | None:
    _load()
    return _definitions.get(name)


def definitions_all() -> list[ExportDefinition]:
    """The exports users may ask for (the request page and the API); not the portal's own hand-outs."""
    _load()
    return [d for d in _definitions.values() if d.requestable]


def definition_choices() -> list[tuple[str, str]]:
    """(name, title) of every kind an export request can have, the portal's hand-outs included (the API's
    `?kind=` filter: a kind that does not exist is a 400, not an empty list)."""
    _load()
    return [(d.name, d.title) for d in _definitions.values()]


def _load() -> None:
    from . import definitions, import_reports  # noqa: F401  (register the portal's exports on import)
