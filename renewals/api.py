"""REST API of this app: viewsets register on loanportal.api.router.

/api/v1/renewals/ — renewal declarations (续贷声明), scoped like the review queue; the county's and the
university's staff (and no one else) record one; `review/` takes the decision (notice 三(七) routing)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from applications.models import Application
from applications.selectors.lifecycle import applications_visible_to
from deadlines.services import current_loan_year
from loanportal.api import (
    BodySerializer,
    ErrorSerializer,
    ReferenceField,
    ScopedViewSetMixin,
    router,
    validate_body,
)
from loanportal.imports.api import ImportJobAcceptedSerializer, import_job_accepted
from loanportal.models import Student
from loanportal.roles import COUNTY_ROLES, UNIVERSITY_ROLES
from loanportal.selectors import students_visible_to

from . import renewal_import, services, states
from .models import RenewalDeclaration
from .selectors import renewal_actions_for, renewals_visible_to

REVIEWER_ROLES = frozenset({*COUNTY_ROLES, *UNIVERSITY_ROLES})


class RenewalSerializer(serializers.ModelSerializer):
    student_name = serializers.CharField(source="student.name", read_only=True)
    student_number = serializers.CharField(source="student.student_number", read_only=True)
    class_name = serializers.CharField(source="student.class_name", read_only=True)
    department = serializers.CharField(source="student.department", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    university_in_province = serializers.BooleanField(source="university.in_province", read_only=True)
    handed_over_note = serializers.CharField(read_only=True)
    available_actions = serializers.SerializerMethodField()

    class Meta:
        model = RenewalDeclaration
        fields = [
            "id",
            "student",
            "student_name",
            "student_number",
            "department",
            "class_name",
            "application",
            "contract_number",
            "year",
            "county",
            "university",
            "university_in_province",
            "tuition_amount",
            "accommodation_amount",
            "statement",
            "declared_on",
            "source",
            "status",
            "status_display",
            "reviewer_organisation",
            "reviewed_at",
            "review_reason",
            "return_count",
            "handed_to_county",
            "handed_to_county_at",
            "handed_over_note",
            "available_actions",
        ]
        read_only_fields = fields

    def get_available_actions(self, instance) -> list[str]:
        user = self.context["request"].user if "request" in self.context else None
        return [a.code for a in renewal_actions_for(user, instance)]


class RenewalCreateSerializer(BodySerializer):
    student = ReferenceField(queryset=Student.objects.none())
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    application = ReferenceField(queryset=Application.objects.none(), required=False, allow_null=True)
    contract_number = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    tuition_amount = serializers.IntegerField(min_value=0, max_value=1_000_000)
    accommodation_amount = serializers.IntegerField(min_value=0, max_value=1_000_000, default=0)
    statement = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    declared_on = serializers.DateField(required=False, allow_null=True, default=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:  # schema generation: no user, no rows
            return
        user = request.user
        self.fields["student"].queryset = students_visible_to(user=user)
        self.fields["application"].queryset = applications_visible_to(user=user)


class ReviewSerializer(BodySerializer):
    decision = serializers.ChoiceField(
        choices=list(states.DECISIONS),
        error_messages={
            "invalid_choice": "审核结果只能是 approve（通过）、return（退回）或 reject（不予通过）"
        },
    )
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if states.DECISIONS[attrs["decision"]] in states.REASON_REQUIRED and not attrs["reason"].strip():
            raise serializers.ValidationError(
                {"reason": f"{states.DECISION_LABELS[attrs['decision']]}必须填写原因"}
            )
        return attrs


class RenewalImportUploadSerializer(BodySerializer):
    file = serializers.FileField()


class RenewalImportResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    file_name = serializers.CharField()
    row_count = serializers.IntegerField()
    succeeded = serializers.BooleanField()
    declarations = serializers.ListField(child=serializers.IntegerField())


class RenewalViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """续贷声明 (notice 三(七)): scoped reads; the student's county or university records one; review by
    the reviewer the notice names (in-province: the university only)."""

    serializer_class = RenewalSerializer
    filterset_fields = ["status", "year", "county", "university", "handed_to_county"]
    ordering_fields = ["declared_on", "year"]
    allowed_roles = {
        "default": None,
        "create": REVIEWER_ROLES,
        "review": REVIEWER_ROLES,
        "import_file": renewal_import.IMPORT_ROLES,
    }

    def selector(self, user):
        return renewals_visible_to(user=user).order_by("-declared_on", "-pk")

    def get_serializer_class(self):
        if self.action == "create":
            return RenewalCreateSerializer
        return RenewalSerializer

    @extend_schema(request=RenewalCreateSerializer, responses={201: RenewalSerializer})
    def create(self, request, *args, **kwargs):
        d = validate_body(RenewalCreateSerializer, request, context={"request": request})
        declaration = services.renewal_declare(
            actor=request.user,
            student=d["student"],
            year=d["year"],
            application=d.get("application"),
            contract_number=d["contract_number"],
            tuition_amount=d["tuition_amount"],
            accommodation_amount=d["accommodation_amount"],
            statement=d["statement"],
            declared_on=d["declared_on"],
        )
        return Response(
            RenewalSerializer(declaration, context=self.get_serializer_context()).data, status=201
        )

    @extend_schema(request=ReviewSerializer, responses=RenewalSerializer, summary="审核续贷声明")
    @action(detail=True, methods=["post"], url_path="review", url_name="review")
    def review(self, request, pk=None):
        """审核: approve / return (once) / reject; reason required for return and reject."""
        body = validate_body(ReviewSerializer, request)
        declaration = self.get_object()
        updated = services.renewal_review(
            actor=request.user, declaration=declaration, decision=body["decision"], reason=body["reason"]
        )
        return Response(RenewalSerializer(updated, context=self.get_serializer_context()).data)

    @extend_schema(
        request={"multipart/form-data": RenewalImportUploadSerializer},
        responses={
            201: RenewalImportResultSerializer,
            202: ImportJobAcceptedSerializer,
            # `errors`: the row-level report (row, column, header, message, name) when the file was read
            400: ErrorSerializer,
        },
        summary="导入银行系统续贷声明",
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def import_file(self, request):
        """The bank system's spreadsheet of declarations (xlsx): all rows or none; 400 with every row error."""
        body = validate_body(RenewalImportUploadSerializer, request)
        started = import_job_accepted(
            request, kind="renewals", year=current_loan_year(), file=body["file"], page="renewal-import-job"
        )
        if started is not None:  # a large file: 202, imported by a job with a progress bar
            return started
        try:
            batch = renewal_import.renewal_import(actor=request.user, file=body["file"])
        except renewal_import.RenewalImportRejected as exc:
            return Response(
                {"detail": exc.message, "batch": exc.batch.pk, "errors": exc.errors},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(
            {
                "id": batch.pk,
                "file_name": batch.file_name,
                "row_count": batch.row_count,
                "succeeded": batch.succeeded,
                "declarations": list(batch.declarations.order_by("pk").values_list("pk", flat=True)),
            },
            status=status.HTTP_201_CREATED,
        )


router.register("renewals", RenewalViewSet, basename="api-renewal")
