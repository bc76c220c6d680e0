"""Output shapes, and the input shapes that a view turns into one service call."""

from rest_framework import serializers

from registry.identity import DocumentType
from registry.levels import EvaluationType, Level

from ..models import (
    Application,
    BatchArchive,
    Certificate,
    Finding,
    IssuanceBatch,
    Objection,
    Reissue,
    Result,
    ResultCorrection,
    Session,
    SessionStaff,
)


class SessionOut(serializers.ModelSerializer):
    institution_name = serializers.CharField(source="institution.name")
    occupation_code = serializers.CharField(source="occupation.code")
    occupation_name = serializers.CharField(source="occupation.name")
    held = serializers.BooleanField(help_text="an open supervision finding holds issuance")

    class Meta:
        model = Session
        fields = [
            "id",
            "name",
            "institution",
            "institution_name",
            "evaluation_type",
            "occupation",
            "occupation_code",
            "occupation_name",
            "specialty",
            "level",
            "starts_on",
            "ends_on",
            "site",
            "rooms",
            "state",
            "submitted_at",
            "publicity_ends_on",
            "held",
        ]


class StaffOut(serializers.ModelSerializer):
    name = serializers.CharField(source="assessor.person.name")

    class Meta:
        model = SessionStaff
        fields = ["id", "assessor", "name", "role"]


class SessionDetailOut(SessionOut):
    staff = StaffOut(many=True, read_only=True)
    staffing_shortfalls = serializers.ListField(child=serializers.CharField())

    class Meta(SessionOut.Meta):
        fields = [*SessionOut.Meta.fields, "staff", "staffing_shortfalls"]


class SessionIn(serializers.Serializer):
    institution = serializers.IntegerField()
    evaluation_type = serializers.ChoiceField(EvaluationType.choices)
    occupation = serializers.IntegerField()
    specialty = serializers.IntegerField(required=False, allow_null=True)
    level = serializers.ChoiceField(Level.choices, required=False, allow_null=True)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    site = serializers.CharField(max_length=200)
    rooms = serializers.IntegerField(min_value=1, max_value=500, default=1)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class StaffIn(serializers.Serializer):
    assessor = serializers.IntegerField()
    role = serializers.ChoiceField(SessionStaff.Role.choices)


class PersonOut(serializers.Serializer):
    name = serializers.CharField()
    document_type = serializers.CharField()
    document_masked = serializers.CharField(help_text="the ID number, masked")


class ApplicationOut(serializers.ModelSerializer):
    person = PersonOut()
    condition_code = serializers.CharField(source="condition.code", allow_null=True, default=None)
    condition_text = serializers.CharField(source="condition.text", allow_null=True, default=None)
    outcome = serializers.SerializerMethodField()
    institution = serializers.IntegerField(source="session.institution_id")
    status = serializers.ChoiceField(
        Application.Status.choices, read_only=True, help_text="enrolled → passed / failed → certified"
    )
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "session",
            "institution",
            "person",
            "pathway",
            "state",
            "condition_code",
            "condition_text",
            "reason",
            "evidence",
            "decided_at",
            "decision_note",
            "created_at",
            "outcome",
            "status",
            "status_display",
        ]

    def get_outcome(self, obj) -> str | None:
        result = getattr(obj, "result", None)
        return result.outcome if result else None


class ApplicationIn(serializers.Serializer):
    session = serializers.IntegerField()
    name = serializers.CharField(max_length=100)
    document_type = serializers.ChoiceField(DocumentType.choices, default=DocumentType.RESIDENT_ID)
    document_number = serializers.CharField(max_length=40, write_only=True)
    pathway = serializers.ChoiceField(Application.Pathway.choices, default=Application.Pathway.NORMAL)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    evidence = serializers.CharField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=30)


class BulkRowIn(serializers.Serializer):
    name = serializers.CharField(max_length=100, allow_blank=True)
    document_type = serializers.CharField(required=False, allow_blank=True, default=DocumentType.RESIDENT_ID)
    document_number = serializers.CharField(max_length=40, allow_blank=True)
    pathway = serializers.CharField(required=False, allow_blank=True, default=Application.Pathway.NORMAL)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    evidence = serializers.CharField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=30)


class BulkIn(serializers.Serializer):
    session = serializers.IntegerField()
    rows = BulkRowIn(many=True, allow_empty=False, max_length=20000)


class DecisionIn(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField()


class CorrectionOut(serializers.ModelSerializer):
    corrected_by = serializers.CharField(source="corrected_by.username", help_text="the requester")
    decided_by = serializers.CharField(source="decided_by.username", allow_null=True, default=None)

    class Meta:
        model = ResultCorrection
        fields = [
            "id",
            "field",
            "old_value",
            "new_value",
            "reason",
            "state",
            "corrected_by",
            "corrected_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]


class CorrectionRequestOut(CorrectionOut):
    result = serializers.IntegerField(source="result_id")
    session = serializers.IntegerField(source="result.application.session_id")
    person_name = serializers.CharField(source="result.application.person.name")

    class Meta(CorrectionOut.Meta):
        fields = [*CorrectionOut.Meta.fields, "result", "session", "person_name"]


class CorrectionDecisionIn(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ObjectionOut(serializers.ModelSerializer):
    session = serializers.IntegerField(source="result.application.session_id")
    person_name = serializers.CharField(source="result.application.person.name")
    answered_by = serializers.CharField(source="answered_by.username", allow_null=True, default=None)
    resolved_by = serializers.CharField(source="resolved_by.username", allow_null=True, default=None)

    class Meta:
        model = Objection
        fields = [
            "id",
            "result",
            "session",
            "person_name",
            "reason",
            "contact",
            "filed_at",
            "state",
            "answer",
            "answered_by",
            "answered_at",
            "resolution",
            "resolved_by",
            "resolved_at",
            "correction",
        ]


class AnswerIn(serializers.Serializer):
    text = serializers.CharField()


class ResolutionIn(serializers.Serializer):
    upheld = serializers.BooleanField()
    resolution = serializers.CharField()
    field = serializers.ChoiceField(["theory", "practical", "review", "special_passed"], required=False)
    value = serializers.JSONField(
        required=False, allow_null=True, help_text="upheld: the corrected score (0–100), or true/false"
    )


class ResultOut(serializers.ModelSerializer):
    application = serializers.IntegerField(source="application_id")
    session = serializers.IntegerField(source="application.session_id")
    person = PersonOut(source="application.person")

    class Meta:
        model = Result
        fields = [
            "id",
            "application",
            "session",
            "person",
            "theory",
            "practical",
            "review",
            "special_passed",
            "outcome",
            "publicity_ends_on",
            "updated_at",
        ]


class ResultDetailOut(ResultOut):
    corrections = CorrectionOut(many=True, read_only=True)

    class Meta(ResultOut.Meta):
        fields = [*ResultOut.Meta.fields, "corrections"]


SCORE = {"max_digits": 4, "decimal_places": 1, "min_value": 0, "max_value": 100, "required": False, "allow_null": True}


class ScoresIn(serializers.Serializer):
    theory = serializers.DecimalField(**SCORE)
    practical = serializers.DecimalField(**SCORE)
    review = serializers.DecimalField(**SCORE)
    special_passed = serializers.BooleanField(required=False, allow_null=True)


class CorrectionIn(serializers.Serializer):
    field = serializers.ChoiceField(["theory", "practical", "review", "special_passed"])
    value = serializers.JSONField(allow_null=True, help_text="the new score (0–100), or true/false for special_passed")
    reason = serializers.CharField()


class FindingOut(serializers.ModelSerializer):
    supervisor_name = serializers.CharField(source="supervisor.person.name", allow_null=True, default=None)
    open = serializers.BooleanField(source="is_open")

    class Meta:
        model = Finding
        fields = [
            "id",
            "session",
            "institution",
            "supervisor",
            "supervisor_name",
            "visit_date",
            "severity",
            "deadline",
            "text",
            "opened_at",
            "open",
            "cleared_at",
            "clearance",
        ]


class FindingIn(serializers.Serializer):
    session = serializers.IntegerField()
    text = serializers.CharField()
    severity = serializers.ChoiceField(choices=Finding.Severity.choices, default=Finding.Severity.MINOR)
    visit_date = serializers.DateField(required=False, allow_null=True, default=None)
    deadline = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="rectification deadline (default: 30 days)"
    )


class ClearanceIn(serializers.Serializer):
    clearance = serializers.CharField()


class BatchIn(serializers.Serializer):
    sessions = serializers.ListField(child=serializers.IntegerField(), allow_empty=False, max_length=500)
    issue_date = serializers.DateField(required=False)


class BatchFailureOut(serializers.Serializer):
    result = serializers.IntegerField(source="result_id")
    reason = serializers.CharField()


class BatchOut(serializers.ModelSerializer):
    institution_name = serializers.CharField(source="institution.name")
    issued = serializers.IntegerField()
    failed = serializers.IntegerField()

    class Meta:
        model = IssuanceBatch
        fields = [
            "id",
            "institution",
            "institution_name",
            "issue_date",
            "state",
            "total",
            "issued",
            "failed",
            "created_at",
            "finished_at",
        ]


class BatchDetailOut(BatchOut):
    failures = BatchFailureOut(many=True, source="first_failures")
    sessions = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta(BatchOut.Meta):
        fields = [*BatchOut.Meta.fields, "sessions", "failures"]


class ArchiveOut(serializers.ModelSerializer):
    download = serializers.SerializerMethodField()

    class Meta:
        model = BatchArchive
        fields = ["id", "batch", "state", "done", "total", "created_at", "download"]

    def get_download(self, obj) -> str | None:
        return f"/api/batches/{obj.batch_id}/archives/{obj.pk}/download/" if obj.state == "done" else None


class ReissueIn(serializers.Serializer):
    reason = serializers.CharField()
    reissued_on = serializers.DateField(required=False)


class ReissueOut(serializers.ModelSerializer):
    reissued_by = serializers.CharField(source="reissued_by.username")

    class Meta:
        model = Reissue
        fields = ["id", "certificate", "reason", "reissued_on", "reissued_by", "created_at"]


class MarkReportedIn(serializers.Serializer):
    certificates = serializers.ListField(child=serializers.IntegerField(), allow_empty=False, max_length=100_000)


class MarkedOut(serializers.Serializer):
    marked = serializers.IntegerField()


class CertificateOut(serializers.ModelSerializer):
    holder_name = serializers.CharField(source="person.name")
    holder_document = serializers.CharField(source="person.document_masked")
    occupation_code = serializers.CharField(source="occupation.code")
    occupation_name = serializers.CharField(source="occupation.name")
    institution_name = serializers.CharField(source="institution.name")
    status = serializers.SerializerMethodField()
    verification_url = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = [
            "id",
            "number",
            "evaluation_type",
            "level",
            "holder_name",
            "holder_document",
            "occupation",
            "occupation_code",
            "occupation_name",
            "institution",
            "institution_name",
            "issued_on",
            "status",
            "revoked_at",
            "revocation_reason",
            "reported_at",
            "batch",
            "verification_url",
        ]

    def get_status(self, obj) -> str:
        return "revoked" if obj.is_revoked else "valid"

    def get_verification_url(self, obj) -> str:
        from django.conf import settings

        return f"{settings.PUBLIC_BASE_URL}/v/{obj.verification_code}"


class VerifyIn(serializers.Serializer):
    number = serializers.CharField(required=False, allow_blank=True, max_length=40)
    name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    document_number = serializers.CharField(required=False, allow_blank=True, max_length=40)
    code = serializers.CharField(required=False, allow_blank=True, max_length=40)


class VerifyOut(serializers.Serializer):
    found = serializers.BooleanField()
    number = serializers.CharField(required=False)
    holder_name = serializers.CharField(required=False)
    holder_document = serializers.CharField(required=False)
    occupation = serializers.CharField(required=False)
    level = serializers.CharField(required=False, allow_null=True)
    institution = serializers.CharField(required=False)
    issued_on = serializers.DateField(required=False)
    status = serializers.CharField(required=False)
    revoked_on = serializers.DateField(required=False, allow_null=True)
    revocation_reason = serializers.CharField(required=False, allow_blank=True)
    signature_valid = serializers.BooleanField(required=False)


class ActivationCodeOut(serializers.Serializer):
    person = serializers.IntegerField()
    activation_code = serializers.CharField(help_text="shown once: hand it to the holder with the certificate notice")
    expires_at = serializers.DateTimeField()
