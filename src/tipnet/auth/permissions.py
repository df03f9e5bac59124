"""The one place that maps roles to permissions."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    REPORTER = "reporter"  # a platform or ISP: submits reports, reads its own receipts
    INVESTIGATOR = "investigator"  # law enforcement: this node's reports and cases
    ANALYST = "analyst"  # NGO / UN statistician: privacy-protected statistics only
    ADMIN = "admin"  # node administrator: users, tokens, peers, audit; no personal data


class OrganisationKind(StrEnum):
    PLATFORM = "platform"
    ISP = "isp"
    LAW_ENFORCEMENT = "law_enforcement"
    NGO = "ngo"
    INTERNATIONAL = "international"
    NODE_OPERATOR = "node_operator"


class Permission(StrEnum):
    REPORT_SUBMIT = "report:submit"
    RECEIPT_READ_OWN = "receipt:read_own"
    REPORT_READ = "report:read"
    TRIAGE_READ = "triage:read"
    CASE_READ = "case:read"
    CASE_WRITE = "case:write"
    STATS_READ = "stats:read"
    AUDIT_READ = "audit:read"
    ADMIN = "admin"
    NETWORK_READ = "network:read"  # networks found by linking, with their selectors
    NETWORK_WRITE = "network:write"  # hub overrides, attaching networks to cases
    FEDERATION_QUERY = "federation:query"  # ask peers hit/no-hit, read hits
    FEDERATION_SHARE = "federation:share"  # set who may match a report
    FEDERATION_COOPERATE = "federation:cooperate"  # send, read and decide cooperation requests


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.REPORTER: frozenset({Permission.REPORT_SUBMIT, Permission.RECEIPT_READ_OWN}),
    Role.INVESTIGATOR: frozenset(
        {
            Permission.REPORT_READ,
            Permission.TRIAGE_READ,
            Permission.CASE_READ,
            Permission.CASE_WRITE,
            Permission.NETWORK_READ,
            Permission.NETWORK_WRITE,
            Permission.STATS_READ,
            Permission.FEDERATION_QUERY,
            Permission.FEDERATION_SHARE,
            Permission.FEDERATION_COOPERATE,
        }
    ),
    Role.ANALYST: frozenset({Permission.STATS_READ}),
    # Administration is kept apart from investigation: an administrator runs the node (users,
    # tokens, peers, audit verification) but reads no report, selector, case or network. Whoever
    # needs both holds two accounts, and each read of personal data is an investigator's.
    Role.ADMIN: frozenset({Permission.ADMIN, Permission.AUDIT_READ, Permission.STATS_READ}),
}

# Permissions that reveal personal data (victims, reported persons, selectors, report bodies,
# networks and what peers hold): only investigators may hold them.
PERSONAL_DATA = frozenset(
    {
        Permission.REPORT_READ,
        Permission.TRIAGE_READ,
        Permission.CASE_READ,
        Permission.CASE_WRITE,
        Permission.NETWORK_READ,
        Permission.NETWORK_WRITE,
        Permission.FEDERATION_QUERY,
        Permission.FEDERATION_SHARE,
        Permission.FEDERATION_COOPERATE,
    }
)


def role_has(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]
