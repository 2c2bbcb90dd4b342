"""REST API of the university's half of the year: GET /api/v1/receipts/ (entered receipts, 回执) and
/api/v1/fee-certificates/ (收费证明: list, read, issue). Thin: selectors for reads, services for writes."""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from loanportal.api import (
    BodySerializer,
    MaskedIdField,
    PortalFilterSet,
    ScopedViewSetMixin,
    router,
    validate_body,
)
from loanportal.roles import UNIVERSITY_ROLES

from ..models import Application, FeeCertificate
from ..rules import lifecycle as rules
from ..rules.intake import mask_name
from ..selectors import lifecycle as selectors
from ..selectors import receipts as receipt_selectors
from ..services import lifecycle as services


class MaskedNameField(serializers.CharField):
    """A student's name masked for lists (张*明)."""

    def to_representation(self, value):
        return mask_name(value)


class ReceiptSerializer(serializers.ModelSerializer):
    application = serializers.IntegerField(source="pk", read_only=True)
    student_name = MaskedNameField(source="student.name", read_only=True)
    student_id_number = MaskedIdField(source="student.id_number", read_only=True)
    county_name = serializers.CharField(source="county.name", read_only=True)
    university_name = serializers.CharField(source="university.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    receipt_code = serializers.SerializerMethodField(
        help_text="回执码（ABCDE-FGHJK）；仅受理县和已录入回执的高校可见，其余为 null"
    )
    receipt_entered_by = serializers.SerializerMethodField(help_text="录入人")

    class Meta:
        model = Application
        fields = [
            "application",
            "year",
            "student_name",
            "student_id_number",
            "county",
            "county_name",
            "university",
            "university_name",
            "contract_number",
            "receipt_code",
            "status",
            "status_display",
            "receipt_entered_at",
            "receipt_entered_by",
        ]
        read_only_fields = fields

    def get_receipt_code(self, instance) -> str | None:
        user = self.context["request"].user if "request" in self.context else None
        return rules.receipt_code_for(user, instance) or None

    def get_receipt_entered_by(self, instance) -> str:
        return str(instance.receipt_entered_by) if instance.receipt_entered_by_id else ""


class ReceiptFilter(PortalFilterSet):
    entered_from = django_filters.DateFilter(
        field_name="receipt_entered_at", lookup_expr="date__gte", label="录入日期起（YYYY-MM-DD）"
    )
    entered_to = django_filters.DateFilter(
        field_name="receipt_entered_at", lookup_expr="date__lte", label="录入日期止（YYYY-MM-DD）"
    )

    class Meta:
        model = Application
        fields = ["year", "status", "county", "university", "receipt_entered_by"]


@extend_schema_view(list=extend_schema(summary="已录入的回执（本校学生；县级为本县受理的申请）"))
class ReceiptViewSet(ScopedViewSetMixin, viewsets.GenericViewSet, mixins.ListModelMixin):
    """回执: applications whose receipt has been entered, in the user's scope, newest entry first.
    Names and ID numbers masked; the receipt code only for the county and the university that entered it."""

    serializer_class = ReceiptSerializer
    filterset_class = ReceiptFilter
    ordering_fields = ["receipt_entered_at"]

    def selector(self, user):
        return receipt_selectors.receipts_visible_to(user=user)


class FeeCertificateSerializer(serializers.ModelSerializer):
    student_name = serializers.CharField(source="application.student.name", read_only=True)
    student_id_number = MaskedIdField(source="application.student.id_number", read_only=True)
    university_name = serializers.CharField(source="university.name", read_only=True)
    contract_number = serializers.CharField(source="application.contract_number", read_only=True)
    total_amount = serializers.IntegerField(read_only=True)
    issued_by = serializers.SerializerMethodField()

    class Meta:
        model = FeeCertificate
        fields = [
            "id",
            "number",
            "year",
            "application",
            "student_name",
            "student_id_number",
            "university",
            "university_name",
            "contract_number",
            "tuition_amount",
            "accommodation_amount",
            "total_amount",
            "disbursed_on",
            "disbursed_to_university",
            "disbursed_to_student",
            "issued_by",
            "issued_at",
        ]
        read_only_fields = fields

    def get_issued_by(self, instance) -> str:
        return str(instance.issued_by)


class FeeCertificateIssueSerializer(BodySerializer):
    applications = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
        min_length=1,
        max_length=500,
        help_text="要开具收费证明的贷款申请 id（一个或多个）",
    )


class FeeCertificateIssueResultSerializer(serializers.Serializer):
    issued = FeeCertificateSerializer(many=True)
    refused = serializers.ListField(child=serializers.DictField(), help_text="[{application, detail}]")


class FeeCertificateFilter(PortalFilterSet):
    class Meta:
        model = FeeCertificate
        fields = ["year", "university", "application"]


class FeeCertificateViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """收费证明: every role reads its scope; university officers issue (POST, one or many applications)
    inside the calendar's window 11/20–11/30 (or the university's extension), after disbursement."""

    serializer_class = FeeCertificateSerializer
    filterset_class = FeeCertificateFilter
    ordering_fields = ["issued_at", "sequence"]
    allowed_roles = {"default": None, "create": UNIVERSITY_ROLES}

    def selector(self, user):
        return receipt_selectors.fee_certificates_visible_to(user=user)

    def get_serializer_class(self):
        return FeeCertificateIssueSerializer if self.action == "create" else FeeCertificateSerializer

    @extend_schema(
        request=FeeCertificateIssueSerializer,
        responses={201: FeeCertificateIssueResultSerializer},
        summary="开具收费证明（一个或多个）",
    )
    def create(self, request, *args, **kwargs):
        """Issue the certificates of the listed applications. Every id must be an application in scope
        (else 404). One application: its refusal is the answer (400 outside the window, 409 before the
        money arrived or already issued). Several: each is issued or refused on its own; the answer
        lists both (201 when at least one was issued, else the first refusal)."""
        body = validate_body(FeeCertificateIssueSerializer, request)
        wanted = list(dict.fromkeys(body["applications"]))
        found = {a.pk: a for a in selectors.applications_visible_to(user=request.user).filter(pk__in=wanted)}
        missing = [pk for pk in wanted if pk not in found]
        if missing:
            from rest_framework.exceptions import NotFound

            raise NotFound(f"未找到贷款申请（{missing[0]}），或不在您的范围内")
        applications = [found[pk] for pk in wanted]
        if len(applications) == 1:
            issued = [services.fee_certificate_issue(actor=request.user, application=applications[0])]
            refused = []
        else:
            issued, refused = services.fee_certificates_issue_many(
                actor=request.user, applications=applications
            )
            if not issued:
                application, error = refused[0]
                raise type(error)(f"{application.student.name}：{error.message}")
        context = self.get_serializer_context()
        return Response(
            {
                "issued": FeeCertificateSerializer(issued, many=True, context=context).data,
                "refused": [{"application": a.pk, "detail": error.message} for a, error in refused],
            },
            status=201,
        )


router.register("receipts", ReceiptViewSet, basename="api-receipt")
router.register("fee-certificates", FeeCertificateViewSet, basename="api-fee-certificate")
