"""REST API of the core and the API plumbing every app uses: permissions, exception handler, router."""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from . import selectors, services
from .errors import DomainError
from .models import CoBorrower, Organisation, Student, User
from .roles import MANAGER_ROLES
from .rules import mask_id_number, mask_phone

router = DefaultRouter()


def exception_handler(exc, context):
    """One place mapping domain and model errors to clear Chinese messages (400/403/409)."""
    if isinstance(exc, DomainError):
        body = {"detail": exc.message}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            return Response({"detail": "数据校验失败", "errors": exc.message_dict}, status=400)
        return Response({"detail": "；".join(exc.messages)}, status=400)
    if isinstance(exc, Http404):
        return Response({"detail": "未找到该记录"}, status=404)
    return drf_exception_handler(exc, context)


class HasRole(permissions.BasePermission):
    """Authenticated, active, and holding one of the view's `allowed_roles` (all roles if unset)."""

    message = "您的角色无权使用此功能"

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_active and user.organisation_id):
            return False
        roles = getattr(view, "allowed_roles", None)
        if roles is None:
            return True
        if isinstance(roles, dict):
            roles = roles.get(getattr(view, "action", None), roles.get("default"))
        return roles is None or user.role in roles


class ScopedViewSetMixin:
    """A viewset whose queryset always comes from a selector: `get_queryset` must call one."""

    permission_classes = [permissions.IsAuthenticated, HasRole]
    queryset = None  # never a class-level, unscoped queryset

    def selector(self, user):  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no rows
            return self.get_serializer_class().Meta.model.objects.none()
        return self.selector(self.request.user)


class MaskedIdField(serializers.CharField):
    """Serialises an ID number masked (140***********123X); the full value is only writable."""

    def to_representation(self, value):
        return mask_id_number(value)


class MaskedPhoneField(serializers.CharField):
    def to_representation(self, value):
        return mask_phone(value)


class OrganisationSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Organisation
        fields = [
            "id",
            "kind",
            "kind_display",
            "name",
            "code",
            "parent",
            "in_province",
            "expected_applicants",
        ]


class OrganisationFilter(django_filters.FilterSet):
    class Meta:
        model = Organisation
        fields = {"kind": ["exact"], "parent": ["exact"], "in_province": ["exact"], "code": ["exact"]}


class OrganisationViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilter
    ordering_fields = ["code", "name"]

    def selector(self, user):
        return selectors.organisations_visible_to(user=user).order_by("kind", "code")


class UserSerializer(serializers.ModelSerializer):
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    phone = MaskedPhoneField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "full_name",
            "organisation",
            "role",
            "role_display",
            "phone",
            "is_active",
            "last_login",
        ]


class UserViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Users of the manager's own part of the tree (managers only)."""

    serializer_class = UserSerializer
    allowed_roles = MANAGER_ROLES
    filterset_fields = ["organisation", "role", "is_active"]

    def selector(self, user):
        return selectors.users_visible_to(user=user).order_by("organisation__code", "username")


class CoBorrowerSerializer(serializers.ModelSerializer):
    id_number = MaskedIdField()
    phone = MaskedPhoneField(required=False, allow_blank=True)
    relationship_display = serializers.CharField(source="get_relationship_display", read_only=True)

    class Meta:
        model = CoBorrower
        fields = ["id", "name", "id_number", "relationship", "relationship_display", "phone"]


class StudentSerializer(serializers.ModelSerializer):
    id_number = MaskedIdField(max_length=18)
    phone = MaskedPhoneField(required=False, allow_blank=True)
    household_county_name = serializers.CharField(source="household_county.name", read_only=True)
    university_name = serializers.CharField(source="university.name", read_only=True, default="")
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    co_borrowers = CoBorrowerSerializer(many=True, read_only=True)

    class Meta:
        model = Student
        fields = [
            "id",
            "name",
            "id_number",
            "household_county",
            "household_county_name",
            "phone",
            "level",
            "level_display",
            "university",
            "university_name",
            "department",
            "major",
            "enrolment_year",
            "study_years",
            "co_borrowers",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        extra_kwargs = {"id_number": {"validators": []}}


class StudentFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Student
        fields = ["household_county", "university", "level", "enrolment_year", "name"]


class RevealSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=["id_number", "phone"])
    reason = serializers.CharField(max_length=200)


class StudentViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Students in the user's scope; county staff register students of their own county."""

    serializer_class = StudentSerializer
    filterset_class = StudentFilter
    ordering_fields = ["name", "created_at", "enrolment_year"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    allowed_roles = {
        "default": None,
        "create": {"county_staff", "county_manager"},
        "partial_update": {"county_staff", "county_manager"},
    }

    def selector(self, user):
        return selectors.students_visible_to(user=user).prefetch_related("co_borrowers").order_by("-pk")

    def perform_create(self, serializer):
        user = self.request.user
        data = dict(serializer.validated_data)
        if data.get("household_county") != user.organisation:
            raise DomainError("只能登记本县生源地的学生", field="household_county")
        serializer.instance = services.student_create(actor=user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        if "household_county" in data and data["household_county"] != self.request.user.organisation:
            raise DomainError("不能把学生转到其他县", field="household_county")
        serializer.instance = services.student_update(
            actor=self.request.user, student=serializer.instance, **data
        )

    @extend_schema(
        request=RevealSerializer,
        responses=inline_serializer(
            "RevealResponse", {"field": serializers.CharField(), "value": serializers.CharField()}
        ),
    )
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        """Reveal the full ID number or phone of one student, with a reason (audited)."""
        student = self.get_object()
        body = RevealSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        value = services.personal_number_reveal(
            actor=request.user,
            obj=student,
            field=body.validated_data["field"],
            reason=body.validated_data["reason"],
        )
        return Response({"field": body.validated_data["field"], "value": value})


class TokenView(APIView):
    """POST username and password → {"token": …} for API clients (lockout applies as on the login page)."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"
    public = True  # the only public endpoint; tests/test_urls_guarded.py allows it by name

    @extend_schema(
        request=AuthTokenSerializer,
        responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
    )
    def post(self, request):
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            return Response({"detail": "用户名或密码错误"}, status=status.HTTP_400_BAD_REQUEST)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


router.register("organisations", OrganisationViewSet, basename="api-organisation")
router.register("users", UserViewSet, basename="api-user")
router.register("students", StudentViewSet, basename="api-student")
