"""The clinical knowledge base: versioned TOML data files and their typed loader.

Public API::

    kb = load_knowledge()          # packaged base, cached
    kb.version                     # sha256 of the data files
    kb.contraindication["ci.pregnancy"]
"""

from mesoclinic.core.knowledge.loader import (
    DATA_DIR,
    KnowledgeBase,
    KnowledgeError,
    load_knowledge,
)
from mesoclinic.core.knowledge.models import EVIDENCE_RANK, LEVEL_RANK, EvidenceLevel, Level, Text
from mesoclinic.core.knowledge.policy import Policy, PolicyError, policy_parse

__all__ = [
    "DATA_DIR",
    "EVIDENCE_RANK",
    "LEVEL_RANK",
    "EvidenceLevel",
    "KnowledgeBase",
    "KnowledgeError",
    "Level",
    "Policy",
    "PolicyError",
    "Text",
    "load_knowledge",
    "policy_parse",
]
