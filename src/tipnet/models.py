"""Every domain's tables, imported once so that metadata is complete (Alembic, tests)."""

from __future__ import annotations

from tipnet.audit import models as audit_models
from tipnet.auth import models as auth_models
from tipnet.cases import models as case_models
from tipnet.db import Base
from tipnet.federation import models as federation_models
from tipnet.identifiers import models as identifier_models
from tipnet.keyrotation import models as key_rotation_models
from tipnet.link import models as link_models
from tipnet.reports import models as report_models

metadata = Base.metadata

__all__ = [
    "audit_models",
    "auth_models",
    "case_models",
    "federation_models",
    "identifier_models",
    "key_rotation_models",
    "link_models",
    "metadata",
    "report_models",
]
