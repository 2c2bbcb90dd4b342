"""REST API of the pre-application list (首贷预申请, notice 三(六)): list/retrieve/create and the import."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from loanportal.api import (
    BodyModelSerializer,
    BodySerializer,
    ErrorSerializer,
    MaskedIdField,
    MaskedPhoneField,
    ScopedViewSetMixin,
    router,
    validate_body,
)
from loanportal.imports.api import ImportJobAcceptedSerializer, import_job_accepted

from ..forms.preapplications import current_year
from ..models.preapplication import PreApplication, PreApplicationBasis
from ..selectors import preapplications as selectors
from ..services import preapplications as services


class PreApplicationSerializer(BodyModelSerializer):
    id_number = MaskedIdField(max_length=18)
    phone = MaskedPhoneField(required=False, allow_blank=True, max_length=20)
    year = serializers.IntegerField(min_value=2000, max_value=2100, default=current_year)
    basis = serializers.ChoiceField(choices=PreApplicationBasis.choices)
    basis_display = serializers.CharField(source="get_basis_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    county_name = serializers.CharField(source="county.name", read_only=True)

    class Meta:
        model = PreApplication
        fields = [
            "id",
            "year",
            "county",
            "county_name",
            "name",
            "id_number",
            "basis",
            "basis_display",
            "high_school",
            "phone",
            "note",
            "status",
            "status_display",
            "source",
            "batch",
            "student",
            "created_at",
        ]
        read_only_fields = ["county", "status", "source", "batch", "student", "created_at"]
        extra_kwargs = {"high_school": {"required": True, "allow_blank": False}}
        validators = []  # the unique (year, ID) check is the service's, with a clearer message


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True)
    column = serializers.CharField()
    header = serializers.CharField()
    message = serializers.CharField()
    name = serializers.CharField()
    sheet = serializers.CharField(required=False, help_text="工作表名称（名单有工作表名时）")


class PreApplicationImportSerializer(BodySerializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100, default=current_year)
    file = serializers.FileField()


class PreApplicationImportResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    year = serializers.IntegerField()
    file_name = serializers.CharField()
    row_count = serializers.IntegerField()
    succeeded = serializers.BooleanField()
    source_school = serializers.CharField()


class PreApplicationViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The pre-application list in the user's scope; county staff add students and import lists."""

    serializer_class = PreApplicationSerializer
    filterset_fields = ["basis", "status", "high_school", "year", "county", "source"]
    ordering_fields = ["name", "created_at", "year"]
    allowed_roles = {
        "default": selectors.READER_ROLES,
        "create": selectors.WRITER_ROLES,
        "import_list": selectors.WRITER_ROLES,
    }

    def selector(self, user):
        return selectors.pre_applications_visible_to(user=user).order_by("-pk")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.pre_application_add(
            actor=self.request.user, county=self.request.user.organisation, **data
        )

    @extend_schema(
        request={"multipart/form-data": PreApplicationImportSerializer},
        responses={
            201: PreApplicationImportResultSerializer,
            202: ImportJobAcceptedSerializer,
            # `errors`: the row-level report (a list of ImportError) when the file was read, or the
            # per-field messages (an object) when the form itself was invalid.
            400: ErrorSerializer,
        },
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def import_list(self, request):
        """Import a list from an xlsx (all-or-nothing); on failure 400 with the row-level error report."""
        body = validate_body(PreApplicationImportSerializer, request)
        started = import_job_accepted(
            request,
            kind="pre_applications",
            year=body["year"],
            file=body["file"],
            page="preapplication-import-job",
        )
        if started is not None:  # a large list: 202, imported by a job with a progress bar
            return started
        try:
            batch = services.pre_application_import(
                actor=request.user, county=request.user.organisation, year=body["year"], file=body["file"]
            )
        except services.PreApplicationImportRejected as exc:
            return Response(
                {"detail": exc.message, "batch": exc.batch.pk, "errors": exc.errors},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(PreApplicationImportResultSerializer(batch).data, status=status.HTTP_201_CREATED)


router.register("pre-applications", PreApplicationViewSet, basename="api-pre-application")
