"""REST API of this app: viewsets register on loanportal.api.router.

/api/v1/loan-contracts/ — the bank's contracts in the user's scope (bank officers: the whole province),
each with its latest ledger snapshot; with `?category=N&received=YYYY-MM-DD` also the portal's relief
amount to the cutoff (RELIEF-AMOUNTS.md) per contract.
"""

import datetime

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, viewsets

from loanportal.api import MaskedIdField, PortalFilterSet, ScopedViewSetMixin, router
from loanportal.errors import DomainError

from . import rules, selectors
from .ledger import LedgerError
from .models import LoanContract, LoanLedgerSnapshot

AMOUNT_PARAMETERS = [
    OpenApiParameter(
        "category",
        OpenApiTypes.STR,
        enum=list(rules.CATEGORY_SCOPES),
        description="救助类别 1–5（第五类可写 5a/5b）；与 received 同时提供",
    ),
    OpenApiParameter(
        "received",
        OpenApiTypes.DATE,
        description="银行收到救助材料的日期（YYYY-MM-DD）；与 category 同时提供",
    ),
]
AmountSerializer = inline_serializer(
    "ReliefAmount",
    fields={
        "cutoff": serializers.DateField(),
        "category": serializers.CharField(),
        **{
            part: serializers.DecimalField(max_digits=14, decimal_places=2)
            for part in rules.ReliefAmount.PARTS
        },
        "error": serializers.CharField(required=False),
    },
)


class LedgerSnapshotSerializer(serializers.ModelSerializer):
    class Meta:
        model = LoanLedgerSnapshot
        fields = [
            "id",
            "as_of",
            "interest_settled_through",
            "outstanding_principal",
            "penalty_accrued",
            "rates",
            "overdue",
            "schedule",
            "received_at",
        ]
        read_only_fields = fields


class LoanContractSerializer(serializers.ModelSerializer):
    borrower_name = serializers.CharField(source="borrower.name", read_only=True)
    borrower_id_number = MaskedIdField(source="borrower.id_number", read_only=True)
    county_name = serializers.CharField(source="county.name", read_only=True)
    latest_snapshot = serializers.SerializerMethodField()
    amount = serializers.SerializerMethodField()

    class Meta:
        model = LoanContract
        fields = [
            "id",
            "contract_no",
            "borrower",
            "borrower_name",
            "borrower_id_number",
            "county",
            "county_name",
            "principal",
            "school_year",
            "latest_snapshot",
            "amount",
        ]
        read_only_fields = fields

    @staticmethod
    def _latest(contract):
        latest = getattr(contract, "latest_snapshots", None)
        if latest is None:
            latest = list(contract.ledger_snapshots.filter(is_latest=True))
        return latest[0] if latest else None

    @extend_schema_field(LedgerSnapshotSerializer(allow_null=True))
    def get_latest_snapshot(self, contract):
        snapshot = self._latest(contract)
        return LedgerSnapshotSerializer(snapshot).data if snapshot else None

    @extend_schema_field(AmountSerializer)
    def get_amount(self, contract):
        query = self.context.get("amount_query")
        if query is None:
            return None
        category, cutoff, parameters = query
        head = {"cutoff": cutoff.isoformat(), "category": category}
        snapshot = self._latest(contract)
        if snapshot is None:
            return {**head, "error": "该合同尚无银行台账"}
        try:
            result = rules.relief_amount(
                snapshot.to_ledger(), category=category, cutoff=cutoff, parameters=parameters
            )
        except LedgerError as exc:
            return {**head, "error": exc.message}
        return {**head, **{part: value for part, value in result.to_json().items() if part != "contract_no"}}


class LoanContractFilter(PortalFilterSet):
    class Meta:
        model = LoanContract
        fields = {
            "school_year": ["exact"],
            "county": ["exact"],
            "borrower": ["exact"],
            "contract_no": ["exact"],
        }


@extend_schema(parameters=AMOUNT_PARAMETERS)
class LoanContractViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """借款合同与最新台账；带 category 与 received 参数时附门户按截止日计算的救助金额（第二十一条（二））。"""

    serializer_class = LoanContractSerializer
    filterset_class = LoanContractFilter
    ordering_fields = ["contract_no", "school_year"]

    def selector(self, user):
        return selectors.loan_contracts_visible_to(user=user)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        request = context.get("request")
        if request is None or getattr(self, "swagger_fake_view", False):
            return context
        category = request.query_params.get("category")
        received = request.query_params.get("received")
        if category is None and received is None:
            return context
        if not category or not received:
            missing = "received" if category else "category"
            raise DomainError(
                f"{missing}：计算救助金额需要同时提供 category（救助类别）和 received（收到材料日期）",
                field=missing,
            )
        if category not in rules.CATEGORY_SCOPES:  # exactly as the schema's enum lists them
            raise DomainError(
                f"category：救助类别应为 {'、'.join(rules.CATEGORY_SCOPES)} 之一（收到“{category[:20]}”）",
                field="category",
            )
        try:
            received_on = datetime.date.fromisoformat(received)
            cutoff = rules.amount_cutoff_date(received_on)  # 16–31 December 9999: no 20 January after it
        except ValueError:
            raise DomainError(
                f"received 应为 YYYY-MM-DD 格式的日期（收到“{received[:20]}”）", field="received"
            ) from None
        context["amount_query"] = (category, cutoff, selectors.relief_parameters_for(cutoff=cutoff))
        return context


router.register("loan-contracts", LoanContractViewSet, basename="api-loan-contract")
