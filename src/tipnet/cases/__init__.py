"""Case management: cases, their reports, victims and perpetrators (HTCDS 2.0)."""
