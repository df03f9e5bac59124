"""Enumerations of the Human Trafficking Case Data Standard (HTCDS 2.0, IOM / CTDC), as data.

Source: https://github.com/UNMigration/HTCDS ("HTCDS Field Reference.md" and "Field
Definitions.md"). The member *values* are the standard's value names, which is what the API
sends and receives and what the database stores, so that exports and statistics speak HTCDS.
Where this module departs from, or could not confirm, the published picklist it says so above
the class.
"""

from __future__ import annotations

from enum import StrEnum

import pycountry


class CaseStatus(StrEnum):
    """``cas_Status``."""

    ACTIVE = "Active"
    FOLLOW_UP = "FollowUp"
    CLOSED = "Closed"
    CLOSED_REFERRED = "ClosedReferred"


class ReasonForReferral(StrEnum):
    """``cas_ReasonForOutgoingReferral`` (and ``cas_ReasonForIncomingReferral``)."""

    ADDITIONAL_SERVICES_REQUIRED = "AdditionalServicesRequired"
    MIGRATION_OR_CHANGE_OF_LOCATION = "MigrationOrChangeOfLocation"
    OTHER = "Other"


class Gender(StrEnum):
    """``vic_Gender`` / ``per_Gender``: the Person gender picklist of the field reference.

    HTCDS 1.0 "updated gender fields to IOM standard"; the 2.0 value names could not be read
    (they are only in the .ods workbook), so these are the published reference's values.
    """

    MALE = "Male"
    FEMALE = "Female"
    TRANSGENDER_OR_NON_CONFORMING = "Transgender/NonConforming"
    UNKNOWN = "Unknown"


class AgeBroad(StrEnum):
    """``vic_AgeBroad`` / ``per_AgeBroad``: the broad age bands of the CTDC global data set,
    which HTCDS feeds. An age band, not a date of birth, so statistics can count it."""

    AGE_0_8 = "0--8"
    AGE_9_17 = "9--17"
    AGE_18_20 = "18--20"
    AGE_21_23 = "21--23"
    AGE_24_26 = "24--26"
    AGE_27_29 = "27--29"
    AGE_30_38 = "30--38"
    AGE_39_47 = "39--47"
    AGE_48_PLUS = "48+"


class MethodOfRecruitment(StrEnum):
    """``vic_MethodOfRecruitment`` (multi-select).

    The published draft has one "Internet (social media, online advertisement)" value; HTCDS 2.0
    splits it into the two online values below. The other values are the draft's categories
    written as value names.
    """

    ABDUCTION = "Abduction"
    EDUCATIONAL_FACILITY = "EducationalFacility"
    FAMILIAL = "Familial"
    ONLINE_SOCIAL_NETWORKS = "ThroughOnlineSocialNetworks"
    ONLINE_ADVERTISEMENT = "ThroughAnOnlineAdvertisement"
    INTERNATIONAL_MARRIAGE_BROKER = "InternationalMarriageBroker"
    INTIMATE_PARTNER_OR_MARRIAGE_PROPOSITION = "IntimatePartnerOrMarriageProposition"
    JOB_OFFER_OR_ADVERTISEMENT = "JobOfferOrAdvertisement"
    POSING_AS_BENEFACTOR = "PosingAsBenefactor"
    PUBLIC_AREA = "PublicArea"
    OFFER_OF_ACCOMMODATION = "OfferOfAccommodation"
    SHELTER = "Shelter"
    SMUGGLING_OR_RANSOM = "SmugglingOrRansom"
    WORK = "Work"
    OTHER = "Other"
    UNKNOWN = "Unknown"


class WebsiteOrApp(StrEnum):
    """``vic_RecruitmentWebsitesAndApps`` / ``vic_ExploitationWebsitesAndApps`` (multi-select)."""

    FACEBOOK = "Facebook"
    INSTAGRAM = "Instagram"
    WHATSAPP = "WhatsApp"
    TELEGRAM = "Telegram"
    FACEBOOK_MESSENGER = "FacebookMessenger"
    VIBER = "Viber"
    SNAPCHAT = "SnapChat"
    LINE = "Line"
    FOUR_SALE = "4Sale"
    WECHAT = "WeChat"
    QQ = "QQ"
    QZONE = "QZone"
    TIKTOK = "TikTok"
    TWITTER = "Twitter"
    OTHER = "Other"


class MethodOfControl(StrEnum):
    """``vic_MethodsOfControl`` (multi-select); each value is defined in "Field Definitions.md"
    as ``MethodsOfControl<Value>``."""

    DEBT_BONDAGE = "DebtBondage"
    TAKES_EARNINGS = "TakesEarnings"
    RESTRICTS_FINANCIAL_ACCESS = "RestrictsFinancialAccess"
    THREATS = "Threats"
    PSYCHOLOGICAL_ABUSE = "PsychologicalAbuse"
    PHYSICAL_ABUSE = "PhysicalAbuse"
    SEXUAL_ABUSE = "SexualAbuse"
    FALSE_PROMISES = "FalsePromises"
    PSYCHOACTIVE_SUBSTANCES = "PsychoactiveSubstances"
    RESTRICTS_MOVEMENT = "RestrictsMovement"
    RESTRICTS_MEDICAL_CARE = "RestrictsMedicalCare"
    EXCESSIVE_WORKING_HOURS = "ExcessiveWorkingHours"
    USES_CHILDREN = "UsesChildren"
    THREAT_OF_LAW_ENFORCEMENT = "ThreatOfLawEnforcement"
    WITHHOLDS_NECESSITIES = "WithholdsNecessities"
    WITHHOLDS_DOCUMENTS = "WithholdsDocuments"
    OTHER = "Other"


class TypeOfExploitation(StrEnum):
    """``vic_TypeOfExploitation`` (multi-select).

    HTCDS 1.0 "aligned Type of Exploitation with international government standards"; the 2.0
    value names could not be read, so these follow the forms of exploitation of the Palermo
    Protocol (art. 3(a)) and UNODC GLOTIP, which ``stats`` reports on.
    """

    SEXUAL_EXPLOITATION = "SexualExploitation"
    FORCED_LABOUR = "ForcedLabour"
    SLAVERY_OR_SIMILAR_PRACTICES = "SlaveryOrPracticesSimilarToSlavery"
    SERVITUDE = "Servitude"
    REMOVAL_OF_ORGANS = "RemovalOfOrgans"
    FORCED_CRIMINAL_ACTIVITY = "ForcedCriminalActivity"
    FORCED_MARRIAGE = "ForcedMarriage"
    OTHER = "Other"
    UNKNOWN = "Unknown"


class TypeOfSexExploitation(StrEnum):
    """``vic_TypeOfSexExploitation`` (multi-select)."""

    PROSTITUTION = "Prostitution"
    PORNOGRAPHY = "Pornography"
    REMOTE_INTERACTIVE_SERVICES = "RemoteInteractiveServices"
    PRIVATE_SEXUAL_SERVICES = "PrivateSexualServices"


class LabourIndustry(StrEnum):
    """``vic_ForcedLabourIndustry`` (multi-select): "Labour Industry (TIER 1)", the sections of
    ISIC Rev. 4, as named in HTCDS 2.0 "Field Definitions.md"."""

    A = "A_AgricultureForestryAndFishing"
    B = "B_MiningAndQuarrying"
    C = "C_Manufacturing"
    D = "D_ElectricityGasSteamAndAirConditioningSupply"
    E = "E_WaterSupplySewerageWasteManagement"
    F = "F_Construction"
    G = "G_WholesaleAndRetailTradeRepairOfMotorVehicles"
    H = "H_TransportationAndStorage"
    I = "I_AccommodationAndFoodServiceActivities"  # noqa: E741 - the ISIC section letter
    J = "J_InformationAndCommunication"
    K = "K_FinancialAndInsuranceActivities"
    L = "L_RealEstateActivities"
    M = "M_ProfessionalScientificAndTechnicalActivities"
    N = "N_AdministrativeAndSupportServiceActivities"
    O = "O_PublicAdministrationAndDefence"  # noqa: E741 - the ISIC section letter
    P = "P_Education"
    Q = "Q_HumanHealthAndSocialWorkActivities"
    R = "R_ArtsEntertainmentAndRecreation"
    S = "S_OtherServiceActivities"
    T = "T_ActivitiesOfHouseholdsAsEmployers"
    U = "U_ActivitiesOfExtraterritorialOrganizations"


class RoleInProcess(StrEnum):
    """``per_RoleInProcess`` (multi-select)."""

    TRAVELLING_PARTNER = "TravellingPartner"
    TRANSPORTER = "Transporter"
    RECRUITER_OR_INTERMEDIARY = "RecruiterOrIntermediary"
    BROKER_TRAVEL_AGENT = "BrokerTravelAgent"
    TRANSFERRED_INDIVIDUAL = "TransferredIndividual"
    HARBOURED_INDIVIDUAL = "HarbouredIndividual"
    SOLD_INDIVIDUAL = "SoldIndividual"
    BOUGHT_INDIVIDUAL = "BoughtIndividual"
    RECEIVED_INDIVIDUAL = "ReceivedIndividual"
    CONTROLLED_INDIVIDUAL = "ControlledIndividual"
    SMUGGLER = "Smuggler"
    ABUSER = "Abuser"
    KIDNAPPER = "Kidnapper"
    EXPLOITER = "Exploiter"
    OTHER = "Other"


def validate_citizenship(value: str) -> str:
    """``vic_Citizenship`` / ``per_Citizenship``: HTCDS asks for ISO 3166-1 two-letter codes."""
    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(
            f"{value!r} is not an ISO 3166-1 alpha-2 country code (HTCDS uses two letters, "
            "e.g. ES, NG, PH)"
        )
    return code
