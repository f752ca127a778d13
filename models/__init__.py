"""SQLAlchemy 2 ORM tables, one module per aggregate, and the engine/session factory."""

from models.areas import Area, Responsibility, Unit
from models.base import Base
from models.cameras import Camera, Scene
from models.cases import Case, CaseEvent, Dispatch, Evidence, SceneEventRecord
from models.categories import Category
from models.reports import CaseFact, CaseFactsBuild
from models.staff import Staff, Team
from models.users import ApiKey, AuditEntry, User

__all__ = [
    "ApiKey",
    "Area",
    "AuditEntry",
    "Base",
    "Camera",
    "Case",
    "CaseEvent",
    "CaseFact",
    "CaseFactsBuild",
    "Category",
    "Dispatch",
    "Evidence",
    "Responsibility",
    "Scene",
    "SceneEventRecord",
    "Staff",
    "Team",
    "Unit",
    "User",
]
