"""REST API of the export service (/api/v1/exports/): request, approve/refuse, status with progress,
download. Every body is validated by a serializer (a list or a string is a 400); rows come from the
export selectors (the requester's own, and those the manager may decide)."""

import django_filters
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from loanportal.api import ScopedViewSetMixin, TextField, router
from loanportal.api_filters import PortalFilterSet

from . import selectors, services
from .models import ExportRequest
from .registry import definition_choices, definitions_all
from .workbook import XLSX_CONTENT_TYPE


class ExportRequestSerializer(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    progress = serializers.IntegerField(read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    decided_by = serializers.CharField(
        source="decided_by.username", read_only=True, default=None, allow_null=True
    )
    actions = serializers.SerializerMethodField()
    unavailable_reason = serializers.SerializerMethodField()

    class Meta:
        model = ExportRequest
        fields = [
            "id",
            "number",
            "kind",
            "title",
            "params",
            "filter_summary",
            "purpose",
            "personal",
            "full_numbers_requested",
            "full_numbers",
            "status",
            "status_display",
            "progress",
            "total_rows",
            "rows_done",
            "row_count",
            "sha256",
            "requested_by",
            "decided_by",
            "decided_at",
            "decision_note",
            "ready_at",
            "expires_at",
            "download_count",
            "created_at",
            "actions",
            "unavailable_reason",
        ]
        read_only_fields = fields

    def get_actions(self, obj) -> list[str]:
        return sorted(services.export_actions(user=self.context["request"].user, export=obj))

    def get_unavailable_reason(self, obj) -> str:
        """Why the file cannot be downloaded (refused, used up, past its time); "" otherwise."""
        return services.export_unavailable_reason(obj)


class ExportCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[])
    params = serializers.DictField(child=TextField(allow_blank=True, max_length=200), required=False)
    purpose = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    full_numbers = serializers.BooleanField(required=False, default=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(d.name, d.title) for d in definitions_all()]


class ExportApproveSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    full_numbers = serializers.BooleanField(required=False, default=False)


class ExportRefuseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class ExportFilter(PortalFilterSet):
    kind = django_filters.ChoiceFilter(choices=definition_choices(), label="导出内容")

    class Meta:
        model = ExportRequest
        fields = ["status", "kind"]


def _validated(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ExportViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Export requests: the user's own and those the user (a manager) may decide."""

    serializer_class = ExportRequestSerializer
    filterset_class = ExportFilter

    def selector(self, user):
        return selectors.exports_visible_to(user=user).order_by("-pk")

    @extend_schema(
        request=ExportCreateSerializer,
        responses={201: ExportRequestSerializer, 400: OpenApiResponse(description="参数错误"), 403: None},
    )
    def create(self, request):
        """Request an export of `kind` with the list page's filters (`params`) and a purpose."""
        data = _validated(ExportCreateSerializer, request)
        export = services.export_request_create(actor=request.user, **data)
        return Response(
            ExportRequestSerializer(export, context={"request": request}).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=ExportApproveSerializer, responses={200: ExportRequestSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        export = self.get_object()
        data = _validated(ExportApproveSerializer, request)
        export = services.export_approve(actor=request.user, export=export, **data)
        return Response(ExportRequestSerializer(export, context={"request": request}).data)

    @extend_schema(request=ExportRefuseSerializer, responses={200: ExportRequestSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        export = self.get_object()
        data = _validated(ExportRefuseSerializer, request)
        export = services.export_refuse(actor=request.user, export=export, **data)
        return Response(ExportRequestSerializer(export, context={"request": request}).data)

    @extend_schema(responses={(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY, 404: None})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The file (requester only, while ready, within the time and count limits); otherwise 404."""
        export = self.get_object()
        try:
            path, filename = services.export_download(actor=request.user, export=export)
        except services.ExportUnavailable as exc:
            raise Http404 from exc
        return FileResponse(
            open(path, "rb"), as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
        )


router.register("exports", ExportViewSet, basename="api-export")
