"""REST API: intake sites and appointments (受理点、预约与叫号). County roles act on their own county;
the city and the province read; everyone else is refused."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from loanportal.api import (
    BodyModelSerializer,
    BodySerializer,
    EmptyBodySerializer,
    ErrorSerializer,
    MaskedIdField,
    MaskedPhoneField,
    ReferenceField,
    ScopedViewSetMixin,
    router,
    validate_body,
)
from loanportal.roles import COUNTY_ROLES, PROVINCE_ROLES, Role

from ..models import Appointment, IntakeSite, IntakeWindow, TimeSlot
from ..rules import intake as rules
from ..selectors import actions
from ..selectors import intake as selectors
from ..services import queue as services

READ_ROLES = frozenset({*COUNTY_ROLES, Role.CITY_MANAGER, *PROVINCE_ROLES})
WRITE_ROLES = frozenset(COUNTY_ROLES)


class IntakeWindowSerializer(serializers.ModelSerializer):
    class Meta:
        model = IntakeWindow
        fields = ["id", "number", "is_active"]


class IntakeSiteSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    county_name = serializers.CharField(source="county.name", read_only=True)
    windows = serializers.SerializerMethodField()
    daily_capacity = serializers.SerializerMethodField()

    class Meta:
        model = IntakeSite
        fields = [
            "id",
            "county",
            "county_name",
            "kind_display",
            *services.SITE_FIELDS,
            "windows",
            "daily_capacity",
        ]

    def get_windows(self, site) -> list[dict]:
        return IntakeWindowSerializer(site.active_windows, many=True).data

    def get_daily_capacity(self, site) -> int:
        return rules.daily_capacity(
            windows=len(site.active_windows),
            opens_at=site.opens_at,
            closes_at=site.closes_at,
            lunch_break_minutes=site.lunch_break_minutes,
            minutes_per_case=site.minutes_per_case,
        )


class IntakeSiteViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """受理点 with their active windows and derived daily capacity (notice 四(九)–(十))."""

    serializer_class = IntakeSiteSerializer
    allowed_roles = READ_ROLES
    filterset_fields = ["county", "kind", "is_active"]

    def selector(self, user):
        return selectors.intake_sites_visible_to(user=user)


class AppointmentSerializer(BodyModelSerializer):
    id_number = MaskedIdField(max_length=18)
    phone = MaskedPhoneField(required=False, allow_blank=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    site_name = serializers.CharField(source="site.name", read_only=True)
    window_number = serializers.IntegerField(
        source="window.number", read_only=True, default=None, allow_null=True
    )
    slot = ReferenceField(queryset=TimeSlot.objects.none())
    available_actions = serializers.SerializerMethodField(
        help_text="The actions (POST /appointments/{id}/<action>/) the requesting user may take now"
    )

    class Meta:
        model = Appointment
        fields = [
            "id",
            "county",
            "site",
            "site_name",
            "slot",
            "date",
            "name",
            "id_number",
            "phone",
            "is_walk_in",
            "status",
            "status_display",
            "queue_number",
            "window_number",
            "checked_in_at",
            "called_at",
            "finished_at",
            "created_at",
            "available_actions",
        ]
        read_only_fields = [
            "county",
            "site",
            "date",
            "is_walk_in",
            "status",
            "queue_number",
            "checked_in_at",
            "called_at",
            "finished_at",
            "created_at",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and getattr(request, "user", None) and request.user.is_authenticated:
            self.fields["slot"].queryset = selectors.time_slots_visible_to(user=request.user)

    def get_available_actions(self, instance) -> list[str]:
        request = self.context.get("request")
        if request is None or not getattr(instance, "pk", None):
            return []
        return [
            a.code
            for a in actions.appointment_actions_for(
                user=request.user, appointment=instance, now=services.intake_now()
            )
            if not a.url
        ]


class CallNextSerializer(BodySerializer):
    window = serializers.IntegerField(help_text="IntakeWindow id of the clerk's window")


class ReasonSerializer(BodySerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class AppointmentViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """预约与叫号. POST books a slot (409 “该时段已约满” when full); actions check in, serve, mark no-show,
    cancel; `call_next` calls the next checked-in student to a window."""

    serializer_class = AppointmentSerializer
    filterset_fields = ["site", "date", "status", "is_walk_in"]
    ordering_fields = ["date", "queue_number", "created_at"]
    allowed_roles = {
        "default": READ_ROLES,
        "create": WRITE_ROLES,
        "check_in": WRITE_ROLES,
        "call_next": WRITE_ROLES,
        "serve": WRITE_ROLES,
        "no_show": WRITE_ROLES,
        "cancel": WRITE_ROLES,
    }

    def selector(self, user):
        return selectors.appointments_visible_to(user=user).order_by("-date", "queue_number", "pk")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.appointment_book(
            actor=self.request.user,
            slot=data["slot"],
            name=data["name"],
            id_number=data["id_number"],
            phone=data.get("phone", ""),
        )

    def _act(self, fn, body_serializer=EmptyBodySerializer):
        body = validate_body(body_serializer, self.request)
        appointment = fn(actor=self.request.user, appointment=self.get_object(), **body)
        return Response(self.get_serializer(appointment).data)

    @extend_schema(request=EmptyBodySerializer, responses=AppointmentSerializer)
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        """签到: assigns the day's queue number at the site."""
        return self._act(services.appointment_check_in)

    @extend_schema(request=EmptyBodySerializer, responses=AppointmentSerializer)
    @action(detail=True, methods=["post"])
    def serve(self, request, pk=None):
        """办结."""
        return self._act(services.appointment_serve)

    @extend_schema(request=ReasonSerializer, responses=AppointmentSerializer)
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request, pk=None):
        """未到 (only after the slot has ended)."""
        return self._act(services.appointment_no_show, ReasonSerializer)

    @extend_schema(request=ReasonSerializer, responses=AppointmentSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """取消: frees the place in the slot."""
        return self._act(services.appointment_cancel, ReasonSerializer)

    @extend_schema(
        request=CallNextSerializer,
        responses={
            200: AppointmentSerializer,
            409: OpenApiResponse(ErrorSerializer, description="没有已签到、等候叫号的学生"),
        },
    )
    @action(detail=False, methods=["post"], url_path="call-next")
    def call_next(self, request):
        """叫号: call the checked-in student with the lowest queue number of the day to this window."""
        body = validate_body(CallNextSerializer, request)
        sites = selectors.intake_sites_visible_to(user=request.user)
        window = IntakeWindow.objects.filter(pk=body["window"], site__in=sites).first()
        if window is None:
            return Response({"detail": "未找到该窗口"}, status=status.HTTP_404_NOT_FOUND)
        appointment = services.appointment_call_next(actor=request.user, window=window)
        return Response(self.get_serializer(appointment).data)


router.register("intake-sites", IntakeSiteViewSet, basename="api-intake-site")
router.register("appointments", AppointmentViewSet, basename="api-appointment")
