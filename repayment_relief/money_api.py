"""REST API of relief money (registered on loanportal.api.router):

- /api/v1/ledger-imports/ — the bank's ledger, .csv or .xlsx (POST multipart `file`; large files become an
  import job, 202 with the job) and the import batches with their error reports;
- /api/v1/bank-amounts/ — 附件6 lines with the portal's frozen figure and the difference per part; POST
  (bank) enters a line; /{id}/accept/ and /{id}/return/ (province);
- /api/v1/relief-funds/ — the fund's accounts; /{id}/entries/ the account's movements; /{id}/deposit/;
  /returns/ records a voluntary return (返还代偿资金) into the provincial account;
- /api/v1/disbursements/ — batches (POST prepares the next one); /preview/ the allocation it would make;
  /{id}/approve/ (a province manager other than the preparer), /{id}/confirm/ (the bank).
"""

from decimal import Decimal

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from loanportal.api import (
    BodySerializer,
    EmptyBodySerializer,
    MaskedIdField,
    ReferenceField,
    ScopedViewSetMixin,
    loan_year_parameter,
    router,
    validate_body,
)
from loanportal.errors import DomainError
from loanportal.imports.api import ImportJobAcceptedSerializer, import_job_accepted
from loanportal.roles import Role

from . import bank_amounts, disbursements, funds, money_selectors
from .case_selectors import relief_cases_visible_to
from .ledger_import import LedgerImportRejected, ledger_file_precheck, ledger_import
from .models import (
    PARTS,
    BankAmount,
    DisbursementBatch,
    DisbursementItem,
    FundAccount,
    FundAccountKind,
    FundEntry,
    LedgerImport,
    LoanContract,
)

PROVINCE = [Role.PROVINCE_OFFICER, Role.PROVINCE_MANAGER]
BANK = [Role.BANK_OFFICER]


def _money(**kwargs):
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


# --- ledger imports ---------------------------------------------------------------------------------------


class LedgerImportSerializer(serializers.ModelSerializer):
    class Meta:
        model = LedgerImport
        fields = [
            "id",
            "file_name",
            "row_count",
            "contracts_created",
            "snapshots_latest",
            "succeeded",
            "errors",
            "error_count",
            "created_at",
        ]
        read_only_fields = fields


class LedgerUploadSerializer(BodySerializer):
    file = serializers.FileField(
        help_text="银行贷款台账：.csv（UTF-8 或 GB18030/GBK）或 .xlsx（可多个工作表），表头见 docs/relief.md；"
        "大文件转为导入任务（202）"
    )


class LedgerImportViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """贷款台账导入：银行上传台账表格，全部通过才导入（否则返回逐行错误）；大文件转为后台任务。"""

    serializer_class = LedgerImportSerializer
    parser_classes = [MultiPartParser, FormParser]
    allowed_roles = {"default": [*BANK, *PROVINCE], "create": BANK}

    def selector(self, user):
        return money_selectors.ledger_imports_visible_to(user=user)

    @extend_schema(
        request={"multipart/form-data": LedgerUploadSerializer},
        responses={201: LedgerImportSerializer, 202: ImportJobAcceptedSerializer},
    )
    def create(self, request, *args, **kwargs):
        upload = validate_body(LedgerUploadSerializer, request)["file"]
        ledger_file_precheck(upload)  # DomainError → 400 (the API's exception handler)
        started = import_job_accepted(
            request,
            kind="ledger",
            year=timezone.localdate().year,
            file=upload,
            page="relief-ledger-import-job",
            precheck=None,  # ledger_file_precheck above (.csv too, the ledger's own size limit)
        )
        if started is not None:
            return started
        try:
            batch = ledger_import(actor=request.user, file=upload)
        except LedgerImportRejected as exc:
            return Response({"detail": exc.message, "batch": exc.batch.pk, "errors": exc.errors}, status=400)
        return Response(LedgerImportSerializer(batch).data, status=201)


# --- 附件6 ------------------------------------------------------------------------------------------------


class PartSerializer(serializers.Serializer):
    part = serializers.CharField()
    bank = _money()
    portal = _money(allow_null=True)
    difference = _money(allow_null=True)


class BankAmountSerializer(serializers.ModelSerializer):
    case_no = serializers.CharField(source="case.case_no", read_only=True)
    borrower_name = serializers.CharField(source="case.borrower.name", read_only=True)
    borrower_id_number = MaskedIdField(source="case.borrower.id_number", read_only=True)
    county_name = serializers.CharField(source="case.county.name", read_only=True)
    contract_no = serializers.CharField(source="contract.contract_no", read_only=True)
    cutoff = serializers.SerializerMethodField()
    comparison = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta:
        model = BankAmount
        fields = [
            "id",
            "case",
            "case_no",
            "borrower_name",
            "borrower_id_number",
            "county_name",
            "contract",
            "contract_no",
            *PARTS,
            "status",
            "question",
            "cutoff",
            "comparison",
            "actions",
            "entered_at",
            "decided_at",
        ]
        read_only_fields = fields

    def get_cutoff(self, line) -> str | None:
        freeze = getattr(line.case, "amount_freeze", None) if hasattr(line.case, "amount_freeze") else None
        return freeze.cutoff.isoformat() if freeze else None

    @extend_schema_field(PartSerializer(many=True))
    def get_comparison(self, line):
        return PartSerializer(
            [
                {"part": c.part, "bank": c.bank, "portal": c.portal, "difference": c.difference}
                for c in money_selectors.bank_amount_comparison(line)
            ],
            many=True,
        ).data

    def get_actions(self, line) -> list[str]:
        request = self.context.get("request")
        return money_selectors.bank_amount_actions_for(request.user, line) if request else []


class BankAmountEnterSerializer(BodySerializer):
    case = ReferenceField(queryset=LoanContract.objects.none(), help_text="救助案件 id")
    contract = ReferenceField(queryset=LoanContract.objects.none(), help_text="该案件的借款合同 id")
    principal = _money(min_value=0)
    interest = _money(min_value=0)
    overdue_principal = _money(min_value=0)
    overdue_interest = _money(min_value=0)
    penalty = _money(min_value=0)
    total = _money(min_value=0, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:  # schema generation
            return
        user = request.user
        self.fields["case"].queryset = relief_cases_visible_to(user=user)
        self.fields["contract"].queryset = LoanContract.objects.filter(
            relief_cases__in=relief_cases_visible_to(user=user).values("pk")
        ).distinct()


class BankAmountReturnSerializer(BodySerializer):
    question = serializers.CharField(max_length=1000, help_text="退回的疑问（必填）")


class BankAmountViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """国家开发银行生源地助学贷款还款救助资金明细表（附件6）：银行金额与门户核定金额逐项对照。"""

    serializer_class = BankAmountSerializer
    filterset_fields = ["status", "case"]
    allowed_roles = {"default": None, "create": BANK, "accept": PROVINCE, "return_line": PROVINCE}

    def selector(self, user):
        return money_selectors.bank_amounts_visible_to(user=user)

    @extend_schema(request=BankAmountEnterSerializer, responses={201: BankAmountSerializer})
    def create(self, request, *args, **kwargs):
        d = validate_body(BankAmountEnterSerializer, request, context={"request": request})
        line = bank_amounts.bank_amount_enter(
            actor=request.user,
            case=d["case"],
            contract=d["contract"],
            values={part: d.get(part) for part in PARTS},
        )
        return Response(self.get_serializer(self.selector(request.user).get(pk=line.pk)).data, status=201)

    @extend_schema(
        request=EmptyBodySerializer, responses=BankAmountSerializer, summary="确认银行金额（冻结）"
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        validate_body(EmptyBodySerializer, request)
        line = bank_amounts.bank_amount_accept(actor=request.user, line=self.get_object())
        return Response(self.get_serializer(self.selector(request.user).get(pk=line.pk)).data)

    @extend_schema(
        request=BankAmountReturnSerializer, responses=BankAmountSerializer, summary="退回银行（写明疑问）"
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_line(self, request, pk=None):
        body = validate_body(BankAmountReturnSerializer, request)
        line = bank_amounts.bank_amount_return(
            actor=request.user, line=self.get_object(), question=body["question"]
        )
        return Response(self.get_serializer(self.selector(request.user).get(pk=line.pk)).data)


# --- the fund ---------------------------------------------------------------------------------------------


class FundAccountSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    county_name = serializers.CharField(source="county.name", read_only=True, default=None)

    class Meta:
        model = FundAccount
        fields = ["id", "kind", "kind_label", "county", "county_name", "balance", "owed", "updated_at"]
        read_only_fields = fields


class FundEntrySerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    case_no = serializers.CharField(source="case.case_no", read_only=True, default=None, allow_null=True)

    class Meta:
        model = FundEntry
        fields = [
            "id",
            "account",
            "kind",
            "kind_label",
            "amount",
            "owed_change",
            "balance_after",
            "document",
            "note",
            "case",
            "case_no",
            "disbursement",
            "created_at",
        ]
        read_only_fields = fields


class MovementSerializer(BodySerializer):
    amount = _money(min_value=Decimal("0.01"), max_value=Decimal(10**11))
    document = serializers.CharField(max_length=100, help_text="凭证或文号（必填）")
    note = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)


class ReturnMoneySerializer(MovementSerializer):
    borrower_name = serializers.CharField(max_length=50, help_text="返还人姓名")


class FundAccountViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """还款救助资金专账（第六–七条）：省级备用资金、各县结余奖励资金、县级财政筹集资金及其流水。"""

    serializer_class = FundAccountSerializer
    filterset_fields = ["kind", "county"]
    allowed_roles = {"default": None, "deposit": PROVINCE, "demand": PROVINCE, "returns": PROVINCE}

    def selector(self, user):
        return money_selectors.fund_accounts_visible_to(user=user)

    @extend_schema(responses=FundEntrySerializer(many=True), summary="账户流水")
    @action(detail=True, methods=["get"])
    def entries(self, request, pk=None):
        account = self.get_object()
        rows = money_selectors.fund_entries_visible_to(user=request.user).filter(account=account)
        page = self.paginate_queryset(rows)
        data = FundEntrySerializer(page if page is not None else rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    @extend_schema(
        request=MovementSerializer, responses=FundEntrySerializer, summary="资金拨入／县级财政到位"
    )
    @action(detail=True, methods=["post"])
    def deposit(self, request, pk=None):
        body = validate_body(MovementSerializer, request)
        account = self.get_object()
        if account.kind == FundAccountKind.COUNTY_FINANCE:
            entry = funds.fund_finance_arrival(actor=request.user, county=account.county, **body)
        else:
            entry = funds.fund_deposit(actor=request.user, account=account, **body)
        return Response(FundEntrySerializer(entry).data)

    @extend_schema(
        request=MovementSerializer, responses=FundEntrySerializer, summary="县级财政应筹（登记筹资任务）"
    )
    @action(detail=True, methods=["post"])
    def demand(self, request, pk=None):
        body = validate_body(MovementSerializer, request)
        account = self.get_object()
        if account.kind != FundAccountKind.COUNTY_FINANCE:
            raise DomainError("只有县级财政账户可以登记应筹金额", field="account")
        return Response(
            FundEntrySerializer(
                funds.fund_finance_demand(actor=request.user, county=account.county, **body)
            ).data
        )

    @extend_schema(
        request=ReturnMoneySerializer, responses={201: FundEntrySerializer}, summary="返还代偿资金"
    )
    @action(detail=False, methods=["post"])
    def returns(self, request):
        body = validate_body(ReturnMoneySerializer, request)
        return Response(
            FundEntrySerializer(funds.fund_return_record(actor=request.user, **body)).data, status=201
        )


# --- disbursements ----------------------------------------------------------------------------------------


class DisbursementItemSerializer(serializers.ModelSerializer):
    case_no = serializers.CharField(source="case.case_no", read_only=True)
    borrower_name = serializers.CharField(source="case.borrower.name", read_only=True)
    county_name = serializers.CharField(source="case.county.name", read_only=True)
    category = serializers.CharField(source="case.category", read_only=True)

    class Meta:
        model = DisbursementItem
        fields = [
            "case",
            "case_no",
            "borrower_name",
            "county_name",
            "category",
            "priority",
            "amount",
            "from_reserve",
            "from_surplus",
            "from_finance",
            "credited_at",
        ]
        read_only_fields = fields


class DisbursementSerializer(serializers.ModelSerializer):
    items = DisbursementItemSerializer(many=True, read_only=True)
    actions = serializers.SerializerMethodField()

    class Meta:
        model = DisbursementBatch
        fields = [
            "id",
            "year",
            "number",
            "status",
            "total",
            "document",
            "prepared_by",
            "prepared_at",
            "approved_by",
            "approved_at",
            "confirmed_by",
            "confirmed_at",
            "items",
            "actions",
        ]
        read_only_fields = fields

    def get_actions(self, batch) -> list[str]:
        request = self.context.get("request")
        return money_selectors.disbursement_actions_for(request.user, batch) if request else []


class PrepareSerializer(BodySerializer):
    year = serializers.IntegerField(
        min_value=2000, max_value=2100, required=False, help_text="自然年，默认今年"
    )


class ApproveSerializer(BodySerializer):
    document = serializers.CharField(max_length=100, help_text="划付凭证或文号")


PreviewSerializer = inline_serializer(
    "DisbursementPreview",
    fields={
        "paid": serializers.ListField(child=serializers.DictField()),
        "waiting": serializers.ListField(child=serializers.DictField()),
        "total": _money(),
        "finance_to_raise": serializers.DictField(),
        "year": serializers.IntegerField(),
        "batches_this_year": serializers.IntegerField(),
    },
)


def preview_data(allocation) -> dict:
    def row(candidate, split, position=None):
        return {
            "case": candidate.key,
            "case_no": candidate.case_no,
            "category": candidate.category,
            "handed_over_on": candidate.handed_over_on,
            "amount": str(candidate.amount),
            "from_reserve": str(split.from_reserve),
            "from_surplus": str(split.from_surplus),
            "from_finance": str(split.from_finance),
            "short": str(split.short),
            "priority": position,
        }

    return {
        "paid": [row(c, s, p) for c, s, p in allocation.paid],
        "waiting": [row(c, s) for c, s in allocation.waiting],
        "total": str(allocation.total),
        "finance_to_raise": {str(k): str(v) for k, v in allocation.finance_to_raise.items()},
    }


class DisbursementViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """资金划付批次（第二十二条）：每年至多两次；省中心负责人（非编制人）审批；银行确认入账。"""

    serializer_class = DisbursementSerializer
    filterset_fields = ["year", "status"]
    allowed_roles = {
        "default": [*PROVINCE, *BANK],
        "create": PROVINCE,
        "preview": PROVINCE,
        "approve": [Role.PROVINCE_MANAGER],
        "confirm": BANK,
    }

    def selector(self, user):
        return money_selectors.disbursements_visible_to(user=user)

    @extend_schema(request=PrepareSerializer, responses={201: DisbursementSerializer})
    def create(self, request, *args, **kwargs):
        body = validate_body(PrepareSerializer, request)
        batch = disbursements.disbursement_prepare(actor=request.user, year=body.get("year"))
        return Response(self.get_serializer(self.selector(request.user).get(pk=batch.pk)).data, status=201)

    @extend_schema(
        responses={200: PreviewSerializer, 400: None},
        summary="划付预览（第十七条顺序、第六条资金来源）",
        parameters=[loan_year_parameter("自然年（默认今年，2000–2100），返回该年已编制批次数")],
    )
    @action(detail=False, methods=["get"])
    def preview(self, request):
        raw = request.query_params.get("year", "")
        year = timezone.localdate().year
        if raw:
            if not (raw.isdigit() and 2000 <= int(raw) <= 2100):
                raise DomainError("year 应为 2000–2100 之间的年份", field="year")
            year = int(raw)
        data = preview_data(money_selectors.disbursement_preview())
        data["year"] = year
        data["batches_this_year"] = DisbursementBatch.objects.filter(year=year).count()
        return Response(data)

    @extend_schema(request=ApproveSerializer, responses=DisbursementSerializer, summary="审批划付")
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        body = validate_body(ApproveSerializer, request)
        batch = disbursements.disbursement_approve(
            actor=request.user, batch=self.get_object(), document=body["document"]
        )
        return Response(self.get_serializer(self.selector(request.user).get(pk=batch.pk)).data)

    @extend_schema(request=EmptyBodySerializer, responses=DisbursementSerializer, summary="银行确认入账")
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        validate_body(EmptyBodySerializer, request)
        batch = disbursements.disbursement_confirm(actor=request.user, batch=self.get_object())
        return Response(self.get_serializer(self.selector(request.user).get(pk=batch.pk)).data)


router.register("ledger-imports", LedgerImportViewSet, basename="api-ledger-import")
router.register("bank-amounts", BankAmountViewSet, basename="api-bank-amount")
router.register("relief-funds", FundAccountViewSet, basename="api-relief-fund")
router.register("disbursements", DisbursementViewSet, basename="api-disbursement")
