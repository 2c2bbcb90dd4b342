"""REST API of the first-loan application: /api/v1/applications/ (+ transition actions, receipt entry)
and /api/v1/loan-policies/. Thin: selectors for reads, services for writes."""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from loanportal.api import (
    BodyModelSerializer,
    BodySerializer,
    MaskedIdField,
    PortalFilterSet,
    ReferenceField,
    ScopedViewSetMixin,
    router,
    validate_body,
)
from loanportal.api_filters import IdFilter, StrictIntegerField
from loanportal.errors import DomainError
from loanportal.models import Organisation, Relationship, StudyLevel
from loanportal.roles import COUNTY_ROLES, UNIVERSITY_ROLES, OrgKind

from ..models import Application, ApplicationStatus, LoanPolicy
from ..rules import lifecycle as rules
from ..selectors import actions
from ..selectors import lifecycle as selectors
from ..services import lifecycle as services
from ..services.lifecycle.policy import POLICY_FIELDS


class ApplicationSerializer(serializers.ModelSerializer):
    student_name = serializers.CharField(source="student.name", read_only=True)
    student_id_number = MaskedIdField(source="student.id_number", read_only=True)
    county_name = serializers.CharField(source="county.name", read_only=True)
    university_name = serializers.CharField(source="university.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    total_amount = serializers.IntegerField(read_only=True)
    available_actions = serializers.SerializerMethodField(
        help_text="The actions (POST /applications/{id}/<action>/) the requesting user may take now"
    )

    class Meta:
        model = Application
        fields = [
            "id",
            "year",
            "status",
            "status_display",
            "student",
            "student_name",
            "student_id_number",
            "county",
            "county_name",
            "university",
            "university_name",
            "level",
            "major",
            "enrolment_year",
            "study_years",
            "tuition_amount",
            "accommodation_amount",
            "total_amount",
            "commitment_accepted",
            "commitment_accepted_at",
            "pre_application",
            "contract_number",
            "receipt_code",
            "accepted_at",
            "contract_signed_at",
            "bank_decline_reason",
            "created_at",
            "available_actions",
        ]
        read_only_fields = fields

    def get_available_actions(self, instance) -> list[str]:
        user = self.context["request"].user if "request" in self.context else None
        return [
            a.code.replace("_", "-") for a in actions.application_actions_for(user=user, application=instance)
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # The receipt code proves the student holds the certificate: the county that printed it reads it,
        # the university only after entering it (issue 7 item 9), nobody else.
        user = self.context["request"].user if "request" in self.context else None
        if not rules.receipt_code_visible_to(user, instance):
            data["receipt_code"] = None
        return data


class ApplicationCreateSerializer(BodySerializer):
    name = serializers.CharField(max_length=50)
    id_number = serializers.CharField(max_length=18)
    phone = serializers.CharField(max_length=20)
    address = serializers.CharField(max_length=200)
    co_name = serializers.CharField(max_length=50)
    co_id_number = serializers.CharField(max_length=18)
    co_relationship = serializers.ChoiceField(
        choices=Relationship.choices,
        help_text="与学生关系: " + ", ".join(f"{v}={label}" for v, label in Relationship.choices),
    )
    co_phone = serializers.CharField(max_length=20)
    university = ReferenceField(queryset=Organisation.objects.filter(kind=OrgKind.UNIVERSITY, is_active=True))
    major = serializers.CharField(max_length=100)
    level = serializers.ChoiceField(choices=StudyLevel.choices)
    enrolment_year = serializers.IntegerField(min_value=2000, max_value=2100)
    study_years = serializers.IntegerField(min_value=1, max_value=8)
    tuition_amount = serializers.IntegerField(min_value=0)
    accommodation_amount = serializers.IntegerField(min_value=0)
    commitment_accepted = serializers.BooleanField(default=False)

    def validate_co_relationship(self, value):
        if value not in Relationship.values:
            raise serializers.ValidationError("与学生关系无效")
        return value


class ReasonSerializer(BodySerializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReceiptSerializer(BodySerializer):
    receipt_code = serializers.CharField(max_length=20)


@extend_schema_field(
    {"type": "integer", "minimum": 1900, "maximum": 9999, "description": "贷款年度，如 2026"}
)
class YearFilter(django_filters.NumberFilter):
    """A loan year: an integer of four digits (a huge number or letters → 400, never a database error);
    the schema states the bounds, so a client (and schemathesis) knows 1899 is refused."""

    field_class = StrictIntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1900, max_value=9999, **kwargs)


def _place_filter(field_name: str, description: str) -> IdFilter:
    """An organisation id filter whose schema says which place it is (IdFilter's own says "记录 id")."""
    annotated = extend_schema_field({"type": "integer", "description": description})(
        type("PlaceFilter", (IdFilter,), {})
    )
    return annotated(field_name=field_name, label=description)


class ApplicationFilter(PortalFilterSet):
    """The list page's filters (贷款申请): each narrows the user's own scope, so another city's county or
    an unknown id gives an empty list, never its rows. No default year here (the page defaults to the
    current loan year; an API client names the year it wants)."""

    year = YearFilter(field_name="year", label="贷款年度（如 2026）；不填为全部年度")
    city = _place_filter("county__parent", "市（机构 id）：该市各县区受理的申请；范围外的 id 得到空列表")
    county = _place_filter("county", "县区（受理县机构 id）；范围外的 id 得到空列表")
    university = _place_filter("university", "就读高校（机构 id）")

    class Meta:
        model = Application
        fields = ["status", "year", "city", "county", "university", "level"]


def _transition_action(name: str):
    to = rules.ACTIONS[name]

    @extend_schema(request=ReasonSerializer, responses=ApplicationSerializer, summary=rules.ACTION_LABELS[to])
    def handler(self, request, pk=None):
        body = validate_body(ReasonSerializer, request)
        application = self.get_object()
        updated = services.application_transition(
            actor=request.user, application=application, to=to, reason=body["reason"]
        )
        return Response(ApplicationSerializer(updated, context=self.get_serializer_context()).data)

    # `return` is a keyword: the method is return_, the route stays /return/.
    handler.__name__ = "return_" if name == "return" else name
    handler.__doc__ = f"{rules.ACTION_LABELS[to]}（→ {ApplicationStatus(to).label}）"
    url_path = name.replace("_", "-")
    return action(detail=True, methods=["post"], url_path=url_path, url_name=url_path)(handler)


class ApplicationViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """首贷申请: scoped like the HTML list; county staff create (受理); transitions as actions."""

    serializer_class = ApplicationSerializer
    filterset_class = ApplicationFilter
    ordering_fields = ["created_at", "year"]
    allowed_roles = {
        "default": None,
        "create": COUNTY_ROLES,
        "enter_receipt_by_code": UNIVERSITY_ROLES,
    }

    def selector(self, user):
        return selectors.applications_visible_to(user=user).order_by("-created_at", "-pk")

    def get_serializer_class(self):
        if self.action == "create":
            return ApplicationCreateSerializer
        return ApplicationSerializer

    @extend_schema(request=ApplicationCreateSerializer, responses={201: ApplicationSerializer})
    def create(self, request, *args, **kwargs):
        d = validate_body(ApplicationCreateSerializer, request)
        application = services.application_create(
            actor=request.user,
            student={k: d[k] for k in ("name", "id_number", "phone", "address")},
            co_borrower={
                "name": d["co_name"],
                "id_number": d["co_id_number"],
                "relationship": d["co_relationship"],
                "phone": d["co_phone"],
            },
            study={k: d[k] for k in ("university", "major", "level", "enrolment_year", "study_years")},
            tuition_amount=d["tuition_amount"],
            accommodation_amount=d["accommodation_amount"],
            commitment_accepted=d["commitment_accepted"],
        )
        return Response(
            ApplicationSerializer(application, context=self.get_serializer_context()).data, status=201
        )

    accept = _transition_action("accept")
    sign = _transition_action("sign")
    return_ = _transition_action("return")
    reject = _transition_action("reject")
    withdraw = _transition_action("withdraw")
    confirm_receipt = _transition_action("confirm_receipt")
    approve = _transition_action("approve")
    decline = _transition_action("decline")
    disburse = _transition_action("disburse")
    certify_fee = _transition_action("certify_fee")
    archive = _transition_action("archive")

    @extend_schema(
        request=ReceiptSerializer,
        responses=ApplicationSerializer,
        operation_id="applications_enter_receipt_by_code",
    )
    @action(detail=False, methods=["post"], url_path="enter-receipt", url_name="enter-receipt")
    def enter_receipt_by_code(self, request):
        """回执录入 (university): by the receipt code on the student's acceptance certificate."""
        body = validate_body(ReceiptSerializer, request)
        application = services.receipt_enter(actor=request.user, receipt_code=body["receipt_code"])
        return Response(ApplicationSerializer(application, context=self.get_serializer_context()).data)

    @extend_schema(request=ReceiptSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"], url_path="enter-receipt", url_name="enter-receipt-detail")
    def enter_receipt(self, request, pk=None):
        """回执录入 on one application: the code must match this application's."""
        body = validate_body(ReceiptSerializer, request)
        application = self.get_object()
        code = rules.receipt_code_normalise(body["receipt_code"])
        if rules.receipt_code_is_valid(code) and code != application.receipt_code:
            raise DomainError("未找到该回执码", field="receipt_code")
        updated = services.receipt_enter(actor=request.user, receipt_code=code)
        return Response(ApplicationSerializer(updated, context=self.get_serializer_context()).data)


class LoanPolicySerializer(BodyModelSerializer):
    class Meta:
        model = LoanPolicy
        fields = ["id", "year", *POLICY_FIELDS, "updated_at"]
        read_only_fields = ["id", "year", "updated_at"]


class LoanPolicyUpdateSerializer(LoanPolicySerializer):
    reason = serializers.CharField(max_length=200, write_only=True)

    class Meta(LoanPolicySerializer.Meta):
        fields = [*LoanPolicySerializer.Meta.fields, "reason"]


class LoanPolicyViewSet(ScopedViewSetMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """年度政策参数: everyone reads; the province manager edits (PATCH with a reason; audited)."""

    serializer_class = LoanPolicySerializer
    http_method_names = ["get", "patch", "head", "options"]
    lookup_field = "year"
    allowed_roles = {"default": None, "partial_update": services.POLICY_EDITOR_ROLES}

    def selector(self, user):
        return selectors.loan_policies_visible_to(user=user)

    def get_serializer_class(self):
        return LoanPolicyUpdateSerializer if self.action == "partial_update" else LoanPolicySerializer

    def get_object(self):
        """A year still on the defaults table is read (and edited) as its defaults; reading never stores it
        (loan_policy_for is a read; the edit stores it through loan_policy_update)."""
        from django.http import Http404

        try:
            return super().get_object()
        except Http404:
            year = str(self.kwargs.get(self.lookup_field, ""))
            if not year.isdigit() or not 2000 <= int(year) <= services.current_loan_year() + 1:
                raise
            return services.loan_policy_for(int(year))

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        reason = data.pop("reason", "")
        serializer.instance = services.loan_policy_update(
            actor=self.request.user, policy=serializer.instance, reason=reason, **data
        )


router.register("applications", ApplicationViewSet, basename="api-application")
router.register("loan-policies", LoanPolicyViewSet, basename="api-loan-policy")
