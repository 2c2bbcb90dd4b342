"""REST API of relief cases (还款救助): /api/v1/relief-cases/ (+ review actions) and /api/v1/relief-batches/.

Scoped by the case selectors (a county its cases, a city its counties', the province all, the bank what
was handed over to it); every write is a service call (domain errors → 400/403/409)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from loanportal.api import (
    BodySerializer,
    EmptyBodySerializer,
    MaskedIdField,
    ReferenceField,
    ScopedViewSetMixin,
    router,
    validate_body,
)
from loanportal.models import Student
from loanportal.roles import COUNTY_ROLES, PROVINCE_ROLES, Role
from loanportal.selectors import students_visible_to

from . import case_selectors as selectors
from . import case_services as services
from . import categories, states
from .models import ApplicantKind, LoanContract, ReliefBatch, ReliefCase, ReliefCategory, VerificationMethod
from .selectors import loan_contracts_visible_to


class ReliefCaseSerializer(serializers.ModelSerializer):
    borrower_name = serializers.CharField(source="borrower.name", read_only=True)
    borrower_id_number = MaskedIdField(source="borrower.id_number", read_only=True)
    applicant_id_number = MaskedIdField(read_only=True)
    county_name = serializers.CharField(source="county.name", read_only=True)
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    priority = serializers.SerializerMethodField()
    priority_label = serializers.SerializerMethodField()
    scope_label = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField()

    class Meta:
        model = ReliefCase
        fields = [
            "id",
            "case_no",
            "borrower",
            "borrower_name",
            "borrower_id_number",
            "county",
            "county_name",
            "year",
            "category",
            "category_display",
            "category_detail",
            "priority",
            "priority_label",
            "scope_label",
            "facts",
            "event_date",
            "grace_period_ends_on",
            "applicant_kind",
            "applicant_name",
            "applicant_id_number",
            "applicant_relationship",
            "contracts",
            "county_found",
            "status",
            "status_display",
            "missing_documents",
            "bank_payment_told",
            "county_decided_at",
            "county_reason",
            "county_summary",
            "province_decided_at",
            "province_reason",
            "return_count",
            "batch",
            "credit_confirmed_at",
            "fraud_found",
            "created_at",
            "available_actions",
        ]
        read_only_fields = fields

    def get_priority(self, case) -> int:
        return categories.priority_of(case.category)

    def get_priority_label(self, case) -> str:
        return categories.priority_label(case.category)

    def get_scope_label(self, case) -> str:
        return categories.scope_label(case.category)

    def get_available_actions(self, case) -> list[str]:
        user = self.context["request"].user if "request" in self.context else None
        return [a.code for a in selectors.relief_case_actions_for(user, case)]


class ReliefCaseCreateSerializer(BodySerializer):
    borrower = ReferenceField(queryset=Student.objects.none())
    contracts = serializers.ListField(
        child=ReferenceField(queryset=LoanContract.objects.none()), min_length=1, max_length=20
    )
    category = serializers.ChoiceField(choices=ReliefCategory.choices)
    category_detail = serializers.ChoiceField(
        choices=["", *categories.INCAPACITY_LABELS], required=False, default=""
    )
    facts = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    event_date = serializers.DateField(required=False, allow_null=True, default=None)
    grace_period_ends_on = serializers.DateField(required=False, allow_null=True, default=None)
    applicant_kind = serializers.ChoiceField(choices=ApplicantKind.choices)
    applicant_name = serializers.CharField(max_length=50)
    applicant_id_number = serializers.CharField(max_length=18)
    applicant_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    applicant_relationship = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default=""
    )
    county_found = serializers.BooleanField(required=False, default=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:
            return
        self.fields["borrower"].queryset = students_visible_to(user=request.user)
        self.fields["contracts"].child.queryset = loan_contracts_visible_to(user=request.user)


class VerificationSerializer(BodySerializer):
    method = serializers.ChoiceField(choices=VerificationMethod.choices)
    checked_by = serializers.CharField(max_length=50)
    checked_on = serializers.DateField()
    findings = serializers.CharField(max_length=2000)
    bank_payment_told = serializers.BooleanField()


class CountyDecisionSerializer(BodySerializer):
    decision = serializers.ChoiceField(
        choices=list(states.COUNTY_DECISIONS),
        error_messages={"invalid_choice": "审核结论只能是 pass（通过）或 reject（不通过）"},
    )
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class ProvinceDecisionSerializer(BodySerializer):
    decision = serializers.ChoiceField(
        choices=list(states.PROVINCE_DECISIONS),
        error_messages={
            "invalid_choice": "复审结论只能是 pass（通过）、reject（不通过）或 return（退回县级）"
        },
    )
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class ReliefCaseViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """还款救助案件: scoped reads in 第十七条 order; the county opens (第十九条), checks materials and records
    verification (第二十条); the county manager decides; the province re-reviews after the county (第二十一条（一））."""

    serializer_class = ReliefCaseSerializer
    filterset_fields = ["status", "category", "county", "year", "county_found", "batch"]
    ordering_fields = ["case_no", "created_at"]
    allowed_roles = {
        "default": None,
        "create": COUNTY_ROLES,
        "check": COUNTY_ROLES,
        "verify": COUNTY_ROLES,
        "resume": COUNTY_ROLES,
        "county_decision": frozenset({Role.COUNTY_MANAGER}),
        "province_decision": PROVINCE_ROLES,
    }

    def selector(self, user):
        return (
            selectors.relief_cases_visible_to(user=user)
            .prefetch_related("contracts")
            .order_by("priority", "county__code", "case_no")
        )

    def get_serializer_class(self):
        return ReliefCaseCreateSerializer if self.action == "create" else ReliefCaseSerializer

    def _answer(self, case, status=200):
        case = self.selector(self.request.user).get(pk=case.pk)
        return Response(ReliefCaseSerializer(case, context=self.get_serializer_context()).data, status=status)

    @extend_schema(
        request=ReliefCaseCreateSerializer, responses={201: ReliefCaseSerializer}, summary="开立还款救助案件"
    )
    def create(self, request, *args, **kwargs):
        d = validate_body(ReliefCaseCreateSerializer, request, context={"request": request})
        case = services.relief_case_create(actor=request.user, **d)
        return self._answer(case, status=201)

    @extend_schema(
        request=EmptyBodySerializer, responses=ReliefCaseSerializer, summary="材料审查（第二十条（一））"
    )
    @action(detail=True, methods=["post"], url_path="check", url_name="check")
    def check(self, request, pk=None):
        validate_body(EmptyBodySerializer, request)
        return self._answer(services.relief_case_check_materials(actor=request.user, case=self.get_object()))

    @extend_schema(request=VerificationSerializer, responses=ReliefCaseSerializer, summary="记录初审核实")
    @action(detail=True, methods=["post"], url_path="verify", url_name="verify")
    def verify(self, request, pk=None):
        body = validate_body(VerificationSerializer, request)
        case = self.get_object()
        services.relief_verification_record(actor=request.user, case=case, **body)
        return self._answer(case)

    @extend_schema(
        request=EmptyBodySerializer, responses=ReliefCaseSerializer, summary="重新办理省级退回的案件"
    )
    @action(detail=True, methods=["post"], url_path="resume", url_name="resume")
    def resume(self, request, pk=None):
        validate_body(EmptyBodySerializer, request)
        return self._answer(services.relief_case_resume(actor=request.user, case=self.get_object()))

    @extend_schema(request=CountyDecisionSerializer, responses=ReliefCaseSerializer, summary="县级负责人审核")
    @action(detail=True, methods=["post"], url_path="county-decision", url_name="county-decision")
    def county_decision(self, request, pk=None):
        body = validate_body(CountyDecisionSerializer, request)
        return self._answer(
            services.relief_case_county_decide(actor=request.user, case=self.get_object(), **body)
        )

    @extend_schema(request=ProvinceDecisionSerializer, responses=ReliefCaseSerializer, summary="省级复审")
    @action(detail=True, methods=["post"], url_path="province-decision", url_name="province-decision")
    def province_decision(self, request, pk=None):
        body = validate_body(ProvinceDecisionSerializer, request)
        return self._answer(
            services.relief_case_province_decide(actor=request.user, case=self.get_object(), **body)
        )


class ReliefBatchSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    cutoff_date = serializers.DateField(read_only=True, allow_null=True)
    cases = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = ReliefBatch
        fields = [
            "id",
            "year",
            "number",
            "status",
            "status_display",
            "handed_over_on",
            "cutoff_date",
            "handed_over_at",
            "created_at",
            "cases",
        ]
        read_only_fields = fields


class BatchCreateSerializer(BodySerializer):
    year = serializers.IntegerField(
        min_value=2000, max_value=2100, required=False, allow_null=True, default=None
    )


class HandOverSerializer(BodySerializer):
    received_on = serializers.DateField()


class ReliefBatchViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """移交批次 = 省级汇总表（附件5）: the province compiles it from passed cases and records the day the bank
    received it (the amount cutoff's input, 第二十一条（二））; the bank reads what was handed over."""

    serializer_class = ReliefBatchSerializer
    filterset_fields = ["status", "year"]
    ordering_fields = ["year", "number"]
    allowed_roles = {"default": None, "create": PROVINCE_ROLES, "hand_over": PROVINCE_ROLES}

    def selector(self, user):
        return (
            selectors.relief_batches_visible_to(user=user)
            .prefetch_related("cases")
            .order_by("-year", "-number")
        )

    def get_serializer_class(self):
        return BatchCreateSerializer if self.action == "create" else ReliefBatchSerializer

    @extend_schema(
        request=BatchCreateSerializer, responses={201: ReliefBatchSerializer}, summary="编制移交批次（附件5）"
    )
    def create(self, request, *args, **kwargs):
        body = validate_body(BatchCreateSerializer, request)
        batch = services.relief_batch_create(actor=request.user, year=body["year"])
        return Response(ReliefBatchSerializer(batch).data, status=201)

    @extend_schema(request=HandOverSerializer, responses=ReliefBatchSerializer, summary="登记移交银行")
    @action(detail=True, methods=["post"], url_path="hand-over", url_name="hand-over")
    def hand_over(self, request, pk=None):
        body = validate_body(HandOverSerializer, request)
        batch = services.relief_batch_hand_over(actor=request.user, batch=self.get_object(), **body)
        return Response(ReliefBatchSerializer(batch).data)


router.register("relief-cases", ReliefCaseViewSet, basename="api-relief-case")
router.register("relief-batches", ReliefBatchViewSet, basename="api-relief-batch")
