"""REST API of the core and the API plumbing every app uses: permissions, exception handler, router."""

import logging
from collections.abc import Mapping

from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from redis.exceptions import RedisError
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from . import selectors, services, tokens
from .api_filters import IdFilter, PortalFilterBackend, PortalFilterSet, TextFilter  # noqa: F401 - re-exported
from .errors import DomainError
from .lockout import client_ip
from .models import ApiToken, CoBorrower, Organisation, Student, User
from .roles import MANAGER_ROLES
from .rules import mask_id_number, mask_phone

log = logging.getLogger(__name__)

router = DefaultRouter()

NOT_AN_OBJECT = '请求体必须是一个 JSON 对象（键值对，如 {"reason": "…"}），不能是数组、字符串、数字或 null'


def _first_message(errors):
    """The first message of a DRF error structure, with the field it belongs to (field, message)."""
    if isinstance(errors, Mapping):
        for field, value in errors.items():
            inner_field, message = _first_message(value)
            if message:
                if field in ("non_field_errors", "detail"):
                    return inner_field, message
                return (f"{field}.{inner_field}" if inner_field else str(field)), message
        return None, ""
    if isinstance(errors, list | tuple):
        for value in errors:
            field, message = _first_message(value)
            if message:
                return field, message
        return None, ""
    return None, str(errors)


def exception_handler(exc, context):
    """One place mapping errors to clear Chinese messages. Every error body is an object with `detail`
    (a message) and, where it applies, `field` (the field it is about) and `errors` (per-field messages)
    — the `Error` schema documented on every operation."""
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
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, Mapping) else {"non_field_errors": exc.detail}
        field, message = _first_message(errors)
        body = {"detail": f"{field}：{message}" if field else message or "数据校验失败", "errors": errors}
        if field:
            body["field"] = field
        response = Response(body, status=status.HTTP_400_BAD_REQUEST)
        return response
    response = drf_exception_handler(exc, context)
    if response is not None and not isinstance(response.data, Mapping):
        response.data = {"detail": _first_message(response.data)[1]}
    return response


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx answer (see exception_handler)."""

    detail = serializers.CharField(help_text="中文错误说明")
    field = serializers.CharField(required=False, help_text="出错的字段（如有）")
    errors = serializers.JSONField(required=False, help_text="逐字段的错误（如有）")
    batch = serializers.IntegerField(required=False, help_text="导入批次（仅导入失败时）")


class ReferenceField(serializers.PrimaryKeyRelatedField):
    """A reference to another record by id. Not an integer → 400; no such record, or one outside the
    user's scope (the field's queryset) → 404, as for a URL naming such a record."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not (
            isinstance(data, int) or (isinstance(data, str) and data.strip().lstrip("-").isdigit())
        ):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            return self.get_queryset().get(pk=int(data))
        except self.get_queryset().model.DoesNotExist:
            raise exceptions.NotFound(
                f"未找到{self.field_name}所指的记录（{int(data)}），或不在您的范围内"
            ) from None


class TextField(serializers.CharField):
    """A JSON string and nothing else: DRF's CharField turns 12, 1.5 or true into "12", "1.5", "True",
    accepting a body the schema (type: string) calls invalid."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ObjectBodyMixin:
    """Serializer error messages (Chinese) for a body that is not a JSON object; references by id are
    ReferenceFields (404 when the record does not exist or is out of scope)."""

    default_error_messages = {"invalid": NOT_AN_OBJECT, "null": NOT_AN_OBJECT}
    serializer_related_field = ReferenceField

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            errors = {name: [message] for name, message in _text_errors(self.fields, data)}
            if errors:
                raise exceptions.ValidationError(errors)
        return super().to_internal_value(data)


def _text_errors(fields, data: Mapping):
    """(field, message) for each text field of a body that is not what the schema says: not a JSON string
    (DRF's CharField turns 12 or true into "12", "True"), or longer than max_length before the trimming
    of surrounding spaces (DRF counts after it, so 201 characters starting with a space passed)."""
    for name, field in fields.items():
        if field.read_only or not isinstance(field, serializers.CharField) or name not in data:
            continue
        value = data[name]
        if value is None:
            continue
        if not isinstance(value, str):
            yield name, field.error_messages["invalid"]
        elif field.max_length is not None and len(value) > field.max_length:
            yield name, field.error_messages["max_length"].format(max_length=field.max_length)


class BodySerializer(ObjectBodyMixin, serializers.Serializer):
    """Base of every action's request body: a JSON object, else 400 with a Chinese message."""


class BodyModelSerializer(ObjectBodyMixin, serializers.ModelSerializer):
    """ModelSerializer whose body must be a JSON object."""


class EmptyBodySerializer(BodySerializer):
    """An action without parameters: the body may be empty or `{}`, but not an array, string or number."""


def validate_body(serializer_class, request, **kwargs):
    """Validate `request.data` with `serializer_class` → validated_data (400 with Chinese messages)."""
    body = serializer_class(data=request.data, **kwargs)
    body.is_valid(raise_exception=True)
    return body.validated_data


LOAN_YEAR_MESSAGE = "贷款年度须为2000至2100之间的整数"


def loan_year_parameter(description: str) -> OpenApiParameter:
    """The `?year=` of an action reading one loan year (query_loan_year): its bounds in the schema."""
    return OpenApiParameter(
        "year", {"type": "integer", "minimum": 2000, "maximum": 2100}, required=False, description=description
    )


def query_loan_year(request) -> int | None:
    """`?year=` of an action (not a FilterSet): None when not given, else 2000–2100 (400 naming `year`)."""
    raw = request.query_params.get("year", "")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= 2100):
        raise exceptions.ValidationError({"year": [LOAN_YEAR_MESSAGE]})
    return int(raw)


ERROR_RESPONSE_DESCRIPTIONS = {
    "400": "请求数据无效（字段校验或政策规则）",
    "401": "未登录，或令牌无效、已过期、已吊销",
    "403": "角色无权使用此功能",
    "404": "记录不存在或不在您的范围内",
    "409": "与当前状态冲突（如状态已变、名额已满、重复）",
    "415": "请求体的媒体类型不受支持（请用 application/json）",
    "429": "请求过于频繁",
}


class PortalAutoSchema(AutoSchema):
    """Documents the error answers each operation can give, all with the `Error` body:
    400 when it takes a body or query parameters, 401/403 unless public, 404 on a detail route or a
    paginated list (a page out of range), 409 on writes (state conflicts), 415 on writes with a body of
    another media type, 429 when throttled."""

    def _error_codes(self) -> list[str]:
        view = self.view
        public = getattr(view, "public", False)
        unsafe = self.method in ("POST", "PUT", "PATCH", "DELETE")
        codes = []
        if unsafe or self._get_filter_parameters() or self._get_pagination_parameters():
            codes.append("400")
        if unsafe:
            codes.append("415")
        if not public:
            # 404: the record in the URL, or one the body refers to, does not exist or is out of
            # scope; for a list, a page past the end.
            codes += ["401", "403", "404"]
            if unsafe:
                codes.append("409")
        if getattr(view, "throttle_classes", None) and getattr(view, "throttle_scope", None):
            codes.append("429")
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                responses[code]["description"] = ERROR_RESPONSE_DESCRIPTIONS[code]
        for code, response in responses.items():
            # An error declared without a body (`409: None`) still answers with the Error body.
            if str(code).startswith("4") and "content" not in response:
                described = self._get_response_for_code(ErrorSerializer, str(code), direction=direction)
                response["content"] = described["content"]
        return responses


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


class ObjectBodyRequired:
    """Refuses a write whose body is not a JSON object (a list, string, number or null) with a 400,
    before the action runs: no action has to cope with `request.data` being something else."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method in ("POST", "PUT", "PATCH") and not isinstance(request.data, Mapping):
            raise exceptions.ValidationError({"non_field_errors": [NOT_AN_OBJECT]})


class ScopedViewSetMixin(ObjectBodyRequired):
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


class OrganisationFilter(PortalFilterSet):
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


class StudentSerializer(BodyModelSerializer):
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


class StudentFilter(PortalFilterSet):
    name = TextFilter(lookup_expr="icontains")

    class Meta:
        model = Student
        fields = ["household_county", "university", "level", "enrolment_year", "name"]


class RevealSerializer(BodySerializer):
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
        body = validate_body(RevealSerializer, request)
        student = self.get_object()
        value = services.personal_number_reveal(
            actor=request.user, obj=student, field=body["field"], reason=body["reason"]
        )
        return Response({"field": body["field"], "value": value})


class TokenThrottle(ScopedRateThrottle):
    """The token endpoint's throttle: counts in the shared cache (Redis when configured, so all gunicorn
    workers share them), keyed on the client address (X-Forwarded-For only per NUM_PROXIES). If the cache
    is unreachable it counts in this process's memory rather than failing the request."""

    def get_ident(self, request):
        return client_ip(request)

    def get_cache_key(self, request, view):
        # Always the address: the endpoint is public, its callers are not authenticated yet.
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError):  # Redis down: degrade to per-process counts, never a 500
            log.warning("throttle cache unavailable; counting in process memory", exc_info=True)
            self.cache = _FALLBACK_CACHE
            return super().allow_request(request, view)


_FALLBACK_CACHE = LocMemCache("throttle-fallback", {})


class TokenBodySerializer(ObjectBodyMixin, AuthTokenSerializer):
    pass


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="放入请求头 Authorization: Token <token>；只显示这一次")
    id = serializers.IntegerField()
    expires_at = serializers.DateTimeField()


class TokenView(APIView):
    """POST username and password → {"token": …, "expires_at": …} for API clients (lockout applies as on
    the login page; throttled per client address)."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = [TokenThrottle]
    throttle_scope = "token"
    public = True  # the only public endpoint; tests/test_urls_guarded.py allows it by name

    @extend_schema(request=TokenBodySerializer, responses=TokenResponseSerializer)
    def post(self, request):
        if not isinstance(request.data, Mapping):
            raise exceptions.ValidationError({"non_field_errors": [NOT_AN_OBJECT]})
        serializer = TokenBodySerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            return Response({"detail": "用户名或密码错误"}, status=status.HTTP_400_BAD_REQUEST)
        token, key = tokens.api_token_issue(
            user=serializer.validated_data["user"], ip_address=client_ip(request) or None
        )
        return Response({"token": key, "id": token.pk, "expires_at": token.expires_at})


class ApiTokenSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    is_active = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "username",
            "prefix",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "created_ip",
            "is_active",
        ]
        read_only_fields = fields

    def get_is_active(self, token) -> bool:
        from django.utils import timezone

        return token.revoked_at is None and token.expires_at > timezone.now()


class RevokeSerializer(BodySerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class RevokeAllResponseSerializer(serializers.Serializer):
    revoked = serializers.IntegerField()


class ApiTokenViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """API 令牌: a user lists and revokes their own tokens; an administrator (superuser) sees and
    revokes everyone's. The key itself is never shown again after it was issued."""

    serializer_class = ApiTokenSerializer
    # Any signed-in user (an administrator may have no organisation or role); rows come from the selector.
    permission_classes = [permissions.IsAuthenticated]
    filterset_fields = ["user"]

    def selector(self, user):
        return tokens.api_tokens_visible_to(user=user)

    @extend_schema(request=RevokeSerializer, responses=ApiTokenSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """吊销一个令牌 (at once; audited)."""
        body = validate_body(RevokeSerializer, request)
        token = tokens.api_token_revoke(actor=request.user, token=self.get_object(), reason=body["reason"])
        return Response(self.get_serializer(token).data)

    @extend_schema(request=RevokeSerializer, responses=RevokeAllResponseSerializer)
    @action(detail=False, methods=["post"], url_path="revoke-mine")
    def revoke_mine(self, request):
        """吊销自己的全部令牌 (including the one making this request)."""
        body = validate_body(RevokeSerializer, request)
        count = tokens.api_tokens_revoke_all(actor=request.user, user=request.user, reason=body["reason"])
        return Response({"revoked": count})


class ApiNotFoundView(APIView):
    """Any /api/ address that no route matches (say `/api/v1/loan-years/a.b/`): a JSON 404, not the
    HTML page. Signed-in users only, like the rest of the API."""

    schema = None  # not an operation of the schema

    def not_found(self, request, *args, **kwargs):
        raise exceptions.NotFound("未找到该接口或记录")

    get = post = put = patch = delete = not_found


router.register("organisations", OrganisationViewSet, basename="api-organisation")
router.register("users", UserViewSet, basename="api-user")
router.register("students", StudentViewSet, basename="api-student")
router.register("auth/tokens", ApiTokenViewSet, basename="api-token-manage")
