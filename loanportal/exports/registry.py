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
class FormLayout:
    """A spreadsheet in the layout of a paper form (e.g. the relief measures' 附件1–7): the definition's
    title merged over all columns, a caption line (填报单位、日期), header cells grouped under merged labels
    (label, first column, last column — 0-based), and signature lines under the data."""

    caption: str = ""
    groups: tuple[tuple[str, int, int], ...] = ()
    signatures: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExportDefinition:
    """One spreadsheet the portal offers.

    `rows(user=, params=)` returns the scoped rows (tuples in column order; a queryset's values_list is
    streamed from a server-side cursor) for the filters in `params` — the list page's own GET parameters,
    cleaned with that page's filter form. `count(user=, params=)` returns how many rows that will be.
    `describe(params)` says in Chinese what the filters select (shown on the request page and in the file).
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
    layout: FormLayout | None = None  # None: one header row (a plain list)

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

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
    _load()
    return list(_definitions.values())


def _load() -> None:
    from . import definitions  # noqa: F401  (registers the portal's first exports on import)
