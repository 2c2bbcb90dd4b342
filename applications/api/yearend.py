"""REST API of the loan year's close: /api/v1/bank-status/ (the bank's status per contract, its
spreadsheet import) and /api/v1/archives/ (archive boxes, assigning applications, what is unarchived).
Thin: selectors for reads (scoped), services for writes; errors through the one exception handler."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from loanportal.api import (
    BodySerializer,
    ErrorSerializer,
    MaskedIdField,
    ScopedViewSetMixin,
    loan_year_parameter,
    query_loan_year,
    router,
    validate_body,
)
from loanportal.imports.api import ImportJobAcceptedSerializer, import_job_accepted
from loanportal.roles import COUNTY_ROLES

from ..models import Application, ArchiveBox
from ..rules import lifecycle as lifecycle_rules
from ..rules import yearend as rules
from ..selectors import yearend as selectors
from ..services import yearend as services
from ..services.lifecycle import current_loan_year


class BankStatusSerializer(serializers.ModelSerializer):
    student_name = serializers.CharField(source="student.name", read_only=True)
    student_id_number = MaskedIdField(source="student.id_number", read_only=True)
    county_name = serializers.CharField(source="county.name", read_only=True)
    university_name = serializers.CharField(source="university.name", read_only=True)
    # plain text, not the Application's enum again (one enum per component keeps the schema's names)
    status = serializers.CharField(read_only=True, help_text="申请状态代码（见 applications 的 status）")
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    total_amount = serializers.IntegerField(read_only=True, help_text="签约金额（元）")

    class Meta:
        model = Application
        fields = [
            "id",
            "contract_number",
            "year",
            "status",
            "status_display",
            "student_name",
            "student_id_number",
            "county_name",
            "university_name",
            "tuition_amount",
            "accommodation_amount",
            "total_amount",
            "receipt_confirmed_at",
            "bank_approved_at",
            "bank_decline_reason",
            "disbursed_on",
            "disbursed_to_university",
            "disbursed_to_student",
        ]
        read_only_fields = fields


class BankStatusRecordSerializer(BodySerializer):
    result = serializers.ChoiceField(
        choices=list(rules.RESULT_LABELS.items()),
        help_text="approved=审批通过, declined=审批不通过（须填 reason）, disbursed=已放款（须填金额与日期）",
    )
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    loan_amount = serializers.IntegerField(
        min_value=0,
        max_value=10**9,
        required=False,
        allow_null=True,
        default=None,
        help_text="银行合同金额，与签约金额核对",
    )
    to_university = serializers.IntegerField(
        min_value=0, max_value=10**9, required=False, allow_null=True, default=None
    )
    to_student = serializers.IntegerField(
        min_value=0, max_value=10**9, required=False, allow_null=True, default=None
    )
    disbursed_on = serializers.DateField(required=False, allow_null=True, default=None)


class BankStatusImportSerializer(BodySerializer):
    file = serializers.FileField()


class BankStatusImportResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    file_name = serializers.CharField()
    row_count = serializers.IntegerField()
    succeeded = serializers.BooleanField()
    approved = serializers.IntegerField()
    declined = serializers.IntegerField()
    disbursed = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class BankStatusViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """银行审批放款: the contracts handed to the bank (from 回执已确认 on) in the user's scope, looked up by
    contract number; bank officers and province officers record a result or import the bank's file."""

    serializer_class = BankStatusSerializer
    lookup_field = "contract_number"
    lookup_value_regex = "[0-9]{1,32}"
    filterset_fields = ["year"]
    ordering_fields = ["contract_number", "year"]
    allowed_roles = {
        "default": None,
        "record": lifecycle_rules.BANK_STATUS_ROLES,
        "import_file": lifecycle_rules.BANK_STATUS_ROLES,
    }

    def selector(self, user):
        return selectors.bank_status_list(user=user)

    @extend_schema(request=BankStatusRecordSerializer, responses=BankStatusSerializer)
    @action(detail=True, methods=["post"], url_path="record", url_name="record")
    def record(self, request, contract_number=None):
        """Record the bank's result on this contract (审批通过 / 审批不通过 / 已放款), reconciled against the
        signed amount; a contract in another state → 409."""
        body = validate_body(BankStatusRecordSerializer, request)
        application = self.get_object()
        updated = services.bank_status_record(actor=request.user, application=application, **body)
        return Response(BankStatusSerializer(updated).data)

    @extend_schema(
        request={"multipart/form-data": BankStatusImportSerializer},
        responses={
            201: BankStatusImportResultSerializer,
            202: ImportJobAcceptedSerializer,
            400: ErrorSerializer,
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_file(self, request):
        """Import the bank's spreadsheet (all-or-nothing); on failure 400 with `errors`: every problem with
        its row, column letter, header and Chinese message."""
        body = validate_body(BankStatusImportSerializer, request)
        started = import_job_accepted(
            request,
            kind="bank_status",
            year=current_loan_year(),
            file=body["file"],
            page="bank-status-import-job",
        )
        if started is not None:  # a large file: 202, imported by a job with a progress bar
            return started
        try:
            batch = services.bank_status_import(actor=request.user, file=body["file"])
        except services.BankStatusImportRejected as exc:
            return Response(
                {"detail": exc.message, "batch": exc.batch.pk, "errors": exc.errors},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(BankStatusImportResultSerializer(batch).data, status=status.HTTP_201_CREATED)


# --- archives ------------------------------------------------------------------------------------


class ArchiveBoxSerializer(serializers.ModelSerializer):
    county_name = serializers.CharField(source="county.name", read_only=True)
    application_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = ArchiveBox
        fields = [
            "id",
            "county",
            "county_name",
            "year",
            "number",
            "archived_on",
            "contents",
            "location",
            "application_count",
            "created_at",
        ]
        read_only_fields = fields


class ArchiveBoxCreateSerializer(BodySerializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    number = serializers.CharField(max_length=40)
    archived_on = serializers.DateField()
    contents = serializers.CharField(max_length=500)
    location = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class ArchiveAssignSerializer(BodySerializer):
    applications = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
        min_length=1,
        max_length=500,
        help_text="要装入本盒并归档的申请 id",
    )


class ArchivedApplicationSerializer(BankStatusSerializer):
    archive_box = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta(BankStatusSerializer.Meta):
        fields = [*BankStatusSerializer.Meta.fields, "archive_box"]
        read_only_fields = fields


class ArchiveAssignResultSerializer(serializers.Serializer):
    archived = ArchivedApplicationSerializer(many=True, help_text="本次归档的申请")


class ArchiveBoxViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """档案盒: the county's boxes of credit materials (find by `number`); county staff register boxes and put
    applications into them (→ 已归档); `unarchived` lists the signed contracts still to archive."""

    serializer_class = ArchiveBoxSerializer
    filterset_fields = ["year"]
    ordering_fields = ["year", "number"]
    allowed_roles = {
        "default": None,
        "create": COUNTY_ROLES,
        "assign": COUNTY_ROLES,
    }

    def selector(self, user):
        number = self.request.query_params.get("number", "") if self.action == "list" else ""
        return selectors.archive_boxes_find(user=user, number=number[:40])

    def get_serializer_class(self):
        return ArchiveBoxCreateSerializer if self.action == "create" else ArchiveBoxSerializer

    @extend_schema(
        request=ArchiveBoxCreateSerializer,
        responses={201: ArchiveBoxSerializer},
        parameters=[],
    )
    def create(self, request, *args, **kwargs):
        body = validate_body(ArchiveBoxCreateSerializer, request)
        box = services.archive_box_create(actor=request.user, **body)
        box = selectors.archive_box_get(user=request.user, pk=box.pk)
        return Response(ArchiveBoxSerializer(box).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("number", str, description="按盒号查找（包含）", required=False)]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=ArchiveAssignSerializer, responses=ArchiveAssignResultSerializer, filters=False)
    @action(detail=True, methods=["post"], url_path="assign", url_name="assign", pagination_class=None)
    def assign(self, request, pk=None):
        """Put applications into this box and archive them, all or none (a case the map does not let the
        county archive → 409; an application outside the scope → 404)."""
        body = validate_body(ArchiveAssignSerializer, request)
        box = self.get_object()
        chosen = selectors.receipts_chosen(user=request.user, pks=body["applications"])
        archived = services.archive_box_assign(actor=request.user, box=box, applications=chosen)
        return Response({"archived": ArchivedApplicationSerializer(archived, many=True).data})

    @extend_schema(responses=ArchivedApplicationSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], url_path="applications", url_name="applications")
    def applications(self, request, pk=None):
        """The applications in this box (find an application's paper file by its box)."""
        box = self.get_object()
        rows = selectors.applications_in_box(user=request.user, box=box)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ArchivedApplicationSerializer(page, many=True).data)

    @extend_schema(
        responses=ArchivedApplicationSerializer(many=True),
        parameters=[loan_year_parameter("贷款年度")],
    )
    @action(detail=False, methods=["get"], url_path="unarchived", url_name="unarchived")
    def unarchived(self, request):
        """Signed contracts of the year not yet archived (待归档)."""
        rows = selectors.applications_unarchived(user=request.user, year=query_loan_year(request))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ArchivedApplicationSerializer(page, many=True).data)


router.register("bank-status", BankStatusViewSet, basename="api-bank-status")
router.register("archives", ArchiveBoxViewSet, basename="api-archive")
