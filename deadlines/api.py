"""REST API of the calendar: loan years and key dates (read for all; write for province managers),
per-organisation extensions."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from loanportal.api import BodySerializer, ReferenceField, ScopedViewSetMixin, router, validate_body
from loanportal.models import Organisation
from loanportal.roles import Role

from . import selectors, services
from .models import KeyDate, KeyDateExtension, LoanYear

EDITORS = frozenset({Role.PROVINCE_MANAGER})


class KeyDateSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="loan_year.year", read_only=True)
    # A plain string, not a second enum of the organisation kinds (one choice set, one schema name).
    owed_by = serializers.CharField(
        read_only=True, help_text="责任机构类型：university/county/city/bank/province"
    )
    owed_by_display = serializers.CharField(source="get_owed_by_display", read_only=True)

    class Meta:
        model = KeyDate
        fields = [
            "id",
            "year",
            "code",
            "label",
            "short_label",
            "start_date",
            "end_date",
            "owed_by",
            "owed_by_display",
            "reminder_days",
            "enforcement_action",
        ]
        read_only_fields = ["code", "label", "short_label", "owed_by", "enforcement_action"]


class KeyDateUpdateSerializer(BodySerializer):
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    reminder_days = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=60), required=False
    )
    reason = serializers.CharField(help_text="修改原因（记入审计日志）")


class LoanYearSerializer(serializers.ModelSerializer):
    key_dates = KeyDateSerializer(many=True, read_only=True)

    class Meta:
        model = LoanYear
        fields = ["id", "year", "key_dates"]


class LoanYearCreateSerializer(BodySerializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)


class ExtensionSerializer(serializers.ModelSerializer):
    key_date_code = serializers.CharField(source="key_date.code", read_only=True)
    year = serializers.IntegerField(source="key_date.loan_year.year", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    original_end_date = serializers.DateField(source="key_date.end_date", read_only=True)

    class Meta:
        model = KeyDateExtension
        fields = [
            "id",
            "key_date",
            "key_date_code",
            "year",
            "organisation",
            "organisation_name",
            "original_end_date",
            "end_date",
            "reason",
            "created_at",
        ]
        read_only_fields = fields


class ExtensionCreateSerializer(BodySerializer):
    organisation = ReferenceField(queryset=Organisation.objects.filter(is_active=True))
    end_date = serializers.DateField()
    reason = serializers.CharField(help_text="延期原因（记入审计日志）")


class LoanYearViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """贷款年度 with its key dates. POST {"year": 2027} creates the default calendar (idempotent)."""

    serializer_class = LoanYearSerializer
    allowed_roles = {"create": EDITORS, "default": None}
    lookup_field = "year"

    def selector(self, user):
        return selectors.loan_years_visible_to(user=user).prefetch_related("key_dates").order_by("year")

    @extend_schema(request=LoanYearCreateSerializer, responses={201: LoanYearSerializer})
    def create(self, request, *args, **kwargs):
        data = validate_body(LoanYearCreateSerializer, request)
        loan_year = services.loan_year_ensure(year=data["year"], actor=request.user)
        return Response(LoanYearSerializer(loan_year).data, status=status.HTTP_201_CREATED)


class KeyDateViewSet(ScopedViewSetMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """时间节点. PATCH/PUT (province manager) moves the date for everyone, with a reason;
    POST …/{id}/extend/ extends it for one organisation."""

    serializer_class = KeyDateSerializer
    allowed_roles = {"update": EDITORS, "partial_update": EDITORS, "extend": EDITORS, "default": None}
    filterset_fields = {"loan_year__year": ["exact"], "code": ["exact"], "owed_by": ["exact"]}

    def selector(self, user):
        return selectors.key_dates_visible_to(user=user).order_by("loan_year__year", "order")

    @extend_schema(request=KeyDateUpdateSerializer, responses={200: KeyDateSerializer})
    def update(self, request, *args, **kwargs):
        values = validate_body(KeyDateUpdateSerializer, request, partial=kwargs.get("partial", False))
        key_date = self.get_object()
        updated = services.key_date_update(
            actor=request.user,
            key_date=key_date,
            start_date=values.get("start_date", key_date.start_date),
            end_date=values.get("end_date", key_date.end_date),
            reminder_days=values.get("reminder_days"),
            reason=values.get("reason", ""),
        )
        return Response(KeyDateSerializer(updated).data)

    @extend_schema(request=ExtensionCreateSerializer, responses={201: ExtensionSerializer})
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        data = validate_body(ExtensionCreateSerializer, request)
        key_date = self.get_object()
        extension = services.key_date_extend(actor=request.user, key_date=key_date, **data)
        return Response(ExtensionSerializer(extension).data, status=status.HTTP_201_CREATED)


class ExtensionViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """延期, scoped: a county sees its own, a city its counties', the province all."""

    serializer_class = ExtensionSerializer
    filterset_fields = {"key_date__loan_year__year": ["exact"], "organisation": ["exact"]}

    def selector(self, user):
        return selectors.extensions_visible_to(user=user).order_by("pk")


router.register("loan-years", LoanYearViewSet, basename="api-loan-year")
router.register("key-dates", KeyDateViewSet, basename="api-key-date")
router.register("key-date-extensions", ExtensionViewSet, basename="api-key-date-extension")
